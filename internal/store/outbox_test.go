package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"
)

// enqueueAll enqueues ms and returns their ids.
func enqueueAll(t *testing.T, s *Store, ms ...Message) []int64 {
	t.Helper()
	ids := make([]int64, len(ms))
	for i, m := range ms {
		id, _, err := s.Enqueue(context.Background(), m)
		if err != nil {
			t.Fatalf("Enqueue %d: %v", i, err)
		}
		ids[i] = id
	}
	return ids
}

// drain takes Head and Acks it until dest is empty and returns the kinds in
// the order they came.
func drain(t *testing.T, s *Store, dest string) []string {
	t.Helper()
	ctx := context.Background()
	var kinds []string
	for range 1000 {
		m, ok, err := s.Head(ctx, dest)
		if err != nil {
			t.Fatalf("Head: %v", err)
		}
		if !ok {
			return kinds
		}
		kinds = append(kinds, m.Kind)
		if err := s.Ack(ctx, m.ID); err != nil {
			t.Fatalf("Ack: %v", err)
		}
	}
	t.Fatal("outbox did not drain")
	return nil
}

func TestStore_EnqueueHeadRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t, WithClock(fixedClock(t0)))

	in := Message{
		Dest: "webhook", Priority: 1, Kind: "comprehensive_health_report", EditKey: "",
		Body: []byte(`{"content":"hi"}`), Attempts: 2, NextAttempt: t0.Add(5 * time.Second),
		LastError: "status 503",
	}
	id, superseded, err := s.Enqueue(ctx, in)
	if err != nil || superseded != 0 || id <= 0 {
		t.Fatalf("Enqueue = %d, %d, %v", id, superseded, err)
	}
	got, ok, err := s.Head(ctx, "webhook")
	if err != nil || !ok {
		t.Fatalf("Head = ok %v, err %v", ok, err)
	}
	want := in
	want.ID = id
	want.CreatedAt = t0 // filled in from the clock
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Head =\n%+v\nwant\n%+v", got, want)
	}
	if _, ok, err := s.Head(ctx, "bot"); err != nil || ok {
		t.Errorf("Head of another destination = ok %v, err %v; want empty", ok, err)
	}
	if _, _, err := s.Enqueue(ctx, Message{Kind: "x"}); err == nil {
		t.Error("Enqueue without a destination succeeded")
	}
}

func TestStore_HeadOrder(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	// NextAttempt does not change the order: the caller waits.
	enqueueAll(t, s,
		Message{Dest: "bot", Priority: 1, Kind: "r1"},
		Message{Dest: "bot", Priority: 1, Kind: "r2", NextAttempt: t0.Add(time.Hour)},
		Message{Dest: "webhook", Priority: 0, Kind: "w1"},
		Message{Dest: "bot", Priority: 0, Kind: "a1", NextAttempt: t0.Add(time.Hour)},
		Message{Dest: "bot", Priority: 2, Kind: "low"},
		Message{Dest: "bot", Priority: 1, Kind: "r3"},
		Message{Dest: "bot", Priority: 0, Kind: "a2"},
	)
	got := drain(t, s, "bot")
	want := []string{"a1", "a2", "r1", "r2", "r3", "low"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bot order = %v, want %v", got, want)
	}
	if got := drain(t, s, "webhook"); !reflect.DeepEqual(got, []string{"w1"}) {
		t.Errorf("webhook order = %v, want [w1]", got)
	}
}

func TestStore_EnqueueSupersede(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		before         []Message
		retried        []int // indexes in before that get one failed attempt right after they are queued
		add            Message
		wantSuperseded int
		wantLeft       []string // kinds in the outbox of "bot" afterwards, in Head order
	}{
		{
			name:           "pending edit of the same key is replaced",
			before:         []Message{{Dest: "bot", Priority: 1, Kind: "e1", EditKey: "sys"}},
			add:            Message{Dest: "bot", Priority: 1, Kind: "e2", EditKey: "sys"},
			wantSuperseded: 1,
			wantLeft:       []string{"e2"},
		},
		{
			name: "a chain of edits leaves the newest",
			before: []Message{
				{Dest: "bot", Priority: 1, Kind: "e1", EditKey: "sys"},
				{Dest: "bot", Priority: 1, Kind: "e2", EditKey: "sys"},
			},
			add:            Message{Dest: "bot", Priority: 1, Kind: "e3", EditKey: "sys"},
			wantSuperseded: 1, // e2 superseded e1 on its way in; e3 supersedes e2
			wantLeft:       []string{"e3"},
		},
		{
			name:           "an attempted edit is kept",
			before:         []Message{{Dest: "bot", Priority: 1, Kind: "e1", EditKey: "sys"}},
			retried:        []int{0},
			add:            Message{Dest: "bot", Priority: 1, Kind: "e2", EditKey: "sys"},
			wantSuperseded: 0,
			wantLeft:       []string{"e1", "e2"},
		},
		{
			name: "the attempted edit is kept, the pending one replaced",
			before: []Message{
				{Dest: "bot", Priority: 1, Kind: "e1", EditKey: "sys"},
				{Dest: "bot", Priority: 1, Kind: "e2", EditKey: "sys"},
			},
			retried:        []int{0},
			add:            Message{Dest: "bot", Priority: 1, Kind: "e3", EditKey: "sys"},
			wantSuperseded: 1,
			wantLeft:       []string{"e1", "e3"},
		},
		{
			name:           "another key is kept",
			before:         []Message{{Dest: "bot", Priority: 1, Kind: "net", EditKey: "network"}},
			add:            Message{Dest: "bot", Priority: 1, Kind: "sys", EditKey: "sys"},
			wantSuperseded: 0,
			wantLeft:       []string{"net", "sys"},
		},
		{
			name:           "another destination is kept",
			before:         []Message{{Dest: "webhook", Priority: 1, Kind: "w", EditKey: "sys"}},
			add:            Message{Dest: "bot", Priority: 1, Kind: "b", EditKey: "sys"},
			wantSuperseded: 0,
			wantLeft:       []string{"b"},
		},
		{
			name:           "posts are never superseded by an edit",
			before:         []Message{{Dest: "bot", Priority: 1, Kind: "post"}},
			add:            Message{Dest: "bot", Priority: 1, Kind: "edit", EditKey: "sys"},
			wantSuperseded: 0,
			wantLeft:       []string{"post", "edit"},
		},
		{
			name:           "a post supersedes nothing",
			before:         []Message{{Dest: "bot", Priority: 1, Kind: "edit", EditKey: "sys"}, {Dest: "bot", Priority: 1, Kind: "p1"}},
			add:            Message{Dest: "bot", Priority: 1, Kind: "p2"},
			wantSuperseded: 0,
			wantLeft:       []string{"edit", "p1", "p2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := openTest(t)
			for i, m := range tt.before {
				id := enqueueAll(t, s, m)[0]
				if slices.Contains(tt.retried, i) {
					if err := s.Retry(ctx, id, 1, t0, "timeout"); err != nil {
						t.Fatal(err)
					}
				}
			}
			_, superseded, err := s.Enqueue(ctx, tt.add)
			if err != nil {
				t.Fatal(err)
			}
			if superseded != tt.wantSuperseded {
				t.Errorf("superseded = %d, want %d", superseded, tt.wantSuperseded)
			}
			if got := drain(t, s, "bot"); !reflect.DeepEqual(got, tt.wantLeft) {
				t.Errorf("left = %v, want %v", got, tt.wantLeft)
			}
		})
	}
}

func TestStore_AckRetry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	ids := enqueueAll(t, s,
		Message{Dest: "bot", Priority: 1, Kind: "first"},
		Message{Dest: "bot", Priority: 1, Kind: "second"},
	)

	// A retried message keeps its place.
	next := t0.Add(2 * time.Second)
	if err := s.Retry(ctx, ids[0], 3, next, "status 502"); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	m, ok, err := s.Head(ctx, "bot")
	if err != nil || !ok {
		t.Fatalf("Head: %v %v", ok, err)
	}
	if m.ID != ids[0] || m.Attempts != 3 || !m.NextAttempt.Equal(next) || m.LastError != "status 502" {
		t.Errorf("after Retry Head = %+v", m)
	}

	if err := s.Ack(ctx, ids[0]); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	if err := s.Ack(ctx, ids[0]); err != nil {
		t.Errorf("second Ack = %v, want nil", err)
	}
	if n, err := s.Depth(ctx, "bot"); err != nil || n != 1 {
		t.Errorf("Depth = %d, %v; want 1", n, err)
	}
	if err := s.Retry(ctx, ids[0], 1, next, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Retry of an acked message = %v, want ErrNotFound", err)
	}
	if st := s.Status(); st.Errors != 0 || !st.OK {
		t.Errorf("ErrNotFound counted as a store failure: %+v", st)
	}

	// Ids are never reused, even for the highest id after it was deleted.
	if err := s.Ack(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	id := enqueueAll(t, s, Message{Dest: "bot", Kind: "third"})[0]
	if id <= ids[1] {
		t.Errorf("new id %d reuses an id at or below %d", id, ids[1])
	}
}

func TestStore_Fail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := t0
	s := openTest(t, WithClock(func() time.Time { return now }))
	ids := enqueueAll(t, s,
		Message{Dest: "bot", Priority: 0, Kind: "alert", Body: []byte("a")},
		Message{Dest: "bot", Priority: 1, Kind: "report", EditKey: "sys", Body: []byte("r")},
		Message{Dest: "webhook", Priority: 1, Kind: "other"},
	)
	if err := s.Retry(ctx, ids[0], 1, t0, "status 500"); err != nil {
		t.Fatal(err)
	}
	if err := s.Fail(ctx, ids[0], "bad_request"); err != nil {
		t.Fatalf("Fail: %v", err)
	}
	now = t0.Add(time.Minute)
	if err := s.Fail(ctx, ids[1], "expired"); err != nil {
		t.Fatalf("Fail: %v", err)
	}
	if err := s.Fail(ctx, ids[1], "again"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Fail of a failed message = %v, want ErrNotFound", err)
	}
	if n, err := s.Depth(ctx, "bot"); err != nil || n != 0 {
		t.Errorf("Depth after Fail = %d, %v; want 0", n, err)
	}

	failed, err := s.Failed(ctx, "bot", 0)
	if err != nil {
		t.Fatalf("Failed: %v", err)
	}
	want := []FailedMessage{
		{Message: Message{ID: ids[1], Dest: "bot", Priority: 1, Kind: "report", EditKey: "sys", Body: []byte("r"), CreatedAt: t0},
			Reason: "expired", FailedAt: t0.Add(time.Minute)},
		{Message: Message{ID: ids[0], Dest: "bot", Priority: 0, Kind: "alert", Body: []byte("a"), CreatedAt: t0,
			Attempts: 1, NextAttempt: t0, LastError: "status 500"},
			Reason: "bad_request", FailedAt: t0},
	}
	if !reflect.DeepEqual(failed, want) {
		t.Errorf("Failed =\n%+v\nwant\n%+v", failed, want)
	}
	failed, err = s.Failed(ctx, "bot", 1)
	if err != nil || len(failed) != 1 || failed[0].ID != ids[1] {
		t.Errorf("Failed with limit 1 = %+v, %v; want the newest", failed, err)
	}
	if failed, err := s.Failed(ctx, "webhook", 0); err != nil || len(failed) != 0 {
		t.Errorf("Failed of webhook = %+v, %v; want none", failed, err)
	}
}

func TestStore_DropOldest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		minPriority int
		n           int
		wantDropped int
		wantLeft    []string
	}{
		{"oldest by age, not by priority", 1, 2, 2, []string{"a1", "a2", "r2", "r3"}},
		{"all droppable", 1, 100, 4, []string{"a1", "a2"}},
		{"priority 0 never, even when asked", 0, 100, 4, []string{"a1", "a2"}},
		{"only at or above minPriority", 2, 100, 1, []string{"a1", "a2", "r1", "r2", "r3"}},
		{"nothing asked", 1, 0, 0, []string{"a1", "a2", "r1", "r2", "r3", "low"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := openTest(t)
			enqueueAll(t, s,
				Message{Dest: "bot", Priority: 1, Kind: "r1"},
				Message{Dest: "bot", Priority: 0, Kind: "a1"},
				Message{Dest: "bot", Priority: 2, Kind: "low"}, // older than r2, though Head sorts it last
				Message{Dest: "bot", Priority: 1, Kind: "r2"},
				Message{Dest: "webhook", Priority: 1, Kind: "w"},
				Message{Dest: "bot", Priority: 0, Kind: "a2"},
				Message{Dest: "bot", Priority: 1, Kind: "r3"},
			)
			got, err := s.DropOldest(ctx, "bot", tt.minPriority, tt.n)
			if err != nil {
				t.Fatalf("DropOldest: %v", err)
			}
			if got != tt.wantDropped {
				t.Errorf("dropped = %d, want %d", got, tt.wantDropped)
			}
			if left := drain(t, s, "bot"); fmt.Sprint(left) != fmt.Sprint(tt.wantLeft) {
				t.Errorf("left = %v, want %v", left, tt.wantLeft)
			}
			if n, err := s.Depth(ctx, "webhook"); err != nil || n != 1 {
				t.Errorf("webhook Depth = %d, %v; want 1 (untouched)", n, err)
			}
		})
	}
}
