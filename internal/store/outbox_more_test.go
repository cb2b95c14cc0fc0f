package store

import (
	"context"
	"testing"
)

func TestStore_Pending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t, WithClock(fixedClock(t0)))

	if got, err := s.Pending(ctx, "bot", 10); err != nil || len(got) != 0 {
		t.Fatalf("Pending of an empty outbox = %v, %v", got, err)
	}
	enqueueAll(t, s,
		Message{Dest: "bot", Priority: 1, Kind: "r1"},
		Message{Dest: "bot", Priority: 1, Kind: "r2"},
		Message{Dest: "webhook", Priority: 0, Kind: "other"},
		Message{Dest: "bot", Priority: 0, Kind: "a1"},
		Message{Dest: "bot", Priority: 1, Kind: "r3"},
	)
	tests := []struct {
		limit int
		want  []string
	}{
		{limit: 10, want: []string{"a1", "r1", "r2", "r3"}},
		{limit: 2, want: []string{"a1", "r1"}},
		{limit: 0, want: []string{"a1"}},
	}
	for _, tc := range tests {
		got, err := s.Pending(ctx, "bot", tc.limit)
		if err != nil {
			t.Fatalf("Pending(%d): %v", tc.limit, err)
		}
		var kinds []string
		for _, m := range got {
			kinds = append(kinds, m.Kind)
		}
		if len(kinds) != len(tc.want) {
			t.Fatalf("Pending(%d) = %v, want %v", tc.limit, kinds, tc.want)
		}
		for i := range kinds {
			if kinds[i] != tc.want[i] {
				t.Errorf("Pending(%d) = %v, want %v", tc.limit, kinds, tc.want)
				break
			}
		}
	}
	head, ok, err := s.Head(ctx, "bot")
	first, err2 := s.Pending(ctx, "bot", 1)
	if err != nil || err2 != nil || !ok || len(first) != 1 || first[0].ID != head.ID {
		t.Errorf("Pending(1) = %v (%v), Head = %v (%v, %v): want the same message", first, err2, head, ok, err)
	}
}

func TestStore_LastIDAndPendingThrough(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)

	if id, err := s.LastID(ctx, "bot"); err != nil || id != 0 {
		t.Fatalf("LastID of an empty outbox = %d, %v; want 0", id, err)
	}
	ids := enqueueAll(t, s,
		Message{Dest: "bot", Priority: 1, Kind: "r1"},
		Message{Dest: "webhook", Priority: 1, Kind: "w1"},
		Message{Dest: "bot", Priority: 0, Kind: "a1"},
	)
	last, err := s.LastID(ctx, "bot")
	if err != nil || last != ids[2] {
		t.Fatalf("LastID = %d, %v; want %d", last, err, ids[2])
	}
	enqueueAll(t, s, Message{Dest: "bot", Priority: 1, Kind: "later"})
	if n, err := s.PendingThrough(ctx, "bot", last); err != nil || n != 2 {
		t.Errorf("PendingThrough = %d, %v; want 2 (the later message is not counted)", n, err)
	}
	if err := s.Ack(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.Fail(ctx, ids[2], "test"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PendingThrough(ctx, "bot", last); err != nil || n != 0 {
		t.Errorf("PendingThrough after ack and fail = %d, %v; want 0", n, err)
	}
	if id, err := s.LastID(ctx, "bot"); err != nil || id <= last {
		t.Errorf("LastID = %d, %v; want the later message's id (> %d)", id, err, last)
	}
}
