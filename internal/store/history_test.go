package store

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

func TestStore_SaveReport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)

	// Saved out of order, two kinds; sub-millisecond parts are dropped and a
	// non-UTC zone comes back as UTC.
	saves := []struct {
		at   time.Time
		kind string
		data string
	}{
		{t0.Add(2 * time.Minute), "sys", `{"n":3}`},
		{t0, "sys", `{"n":1}`},
		{t0.Add(time.Minute).Add(123456 * time.Nanosecond).In(time.FixedZone("X", 3600)), "sys", `{"n":2}`},
		{t0.Add(30 * time.Second), "net", `{"n":"net"}`},
	}
	for _, sv := range saves {
		if err := s.SaveReport(ctx, sv.at, sv.kind, []byte(sv.data)); err != nil {
			t.Fatalf("SaveReport: %v", err)
		}
	}

	tests := []struct {
		name  string
		kind  string
		since time.Time
		limit int
		want  []string
	}{
		{"all of a kind, oldest first", "sys", time.Time{}, 0, []string{`{"n":1}`, `{"n":2}`, `{"n":3}`}},
		{"since is inclusive", "sys", t0.Add(time.Minute), 0, []string{`{"n":2}`, `{"n":3}`}},
		{"limit keeps the oldest", "sys", time.Time{}, 2, []string{`{"n":1}`, `{"n":2}`}},
		{"negative limit is no limit", "sys", time.Time{}, -1, []string{`{"n":1}`, `{"n":2}`, `{"n":3}`}},
		{"other kind", "net", time.Time{}, 0, []string{`{"n":"net"}`}},
		{"unknown kind", "nope", time.Time{}, 0, nil},
		{"since after everything", "sys", t0.Add(time.Hour), 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := s.Reports(ctx, tt.kind, tt.since, tt.limit)
			if err != nil {
				t.Fatalf("Reports: %v", err)
			}
			var got []string
			for _, r := range recs {
				if r.Kind != tt.kind {
					t.Errorf("Kind = %q, want %q", r.Kind, tt.kind)
				}
				got = append(got, string(r.Data))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("data = %v, want %v", got, tt.want)
			}
		})
	}

	recs, err := s.Reports(ctx, "sys", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantAt := t0.Add(time.Minute).Truncate(time.Millisecond)
	if got := recs[1].At; !got.Equal(wantAt) || got.Location() != time.UTC {
		t.Errorf("At = %v (%v), want %v in UTC", got, got.Location(), wantAt)
	}
}

func TestStore_LastReport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)

	if _, ok, err := s.LastReport(ctx, "sys"); err != nil || ok {
		t.Fatalf("LastReport on empty store = ok %v, err %v; want false, nil", ok, err)
	}
	for i, at := range []time.Time{t0.Add(time.Minute), t0.Add(3 * time.Minute), t0} {
		if err := s.SaveReport(ctx, at, "sys", []byte{byte('a' + i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveReport(ctx, t0.Add(time.Hour), "other", []byte("x")); err != nil {
		t.Fatal(err)
	}
	r, ok, err := s.LastReport(ctx, "sys")
	if err != nil || !ok {
		t.Fatalf("LastReport = ok %v, err %v", ok, err)
	}
	if !r.At.Equal(t0.Add(3*time.Minute)) || r.Kind != "sys" || !bytes.Equal(r.Data, []byte("b")) {
		t.Errorf("LastReport = %+v, want the one at t0+3m with data b", r)
	}
}
