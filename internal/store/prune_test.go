package store

import (
	"context"
	"testing"
	"time"
)

func TestStore_Prune(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := t0.Add(-2 * time.Hour)
	s := openTest(t, WithClock(func() time.Time { return now }))

	for _, at := range []time.Time{t0.Add(-2 * time.Hour), t0.Add(-time.Hour), t0} {
		if err := s.SaveReport(ctx, at, "sys", []byte("r")); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveSamples(ctx, at, map[string]float64{"cpu_percent": 1, "memory_percent": 2}); err != nil {
			t.Fatal(err)
		}
	}
	// A pending message older than the cut, never attempted, and one retried.
	ids := enqueueAll(t, s,
		Message{Dest: "bot", Priority: 1, Kind: "old pending", CreatedAt: t0.Add(-3 * time.Hour)},
		Message{Dest: "bot", Priority: 1, Kind: "old retried", CreatedAt: t0.Add(-3 * time.Hour)},
		Message{Dest: "bot", Priority: 1, Kind: "fails early"},
		Message{Dest: "bot", Priority: 1, Kind: "fails late"},
	)
	if err := s.Retry(ctx, ids[1], 4, t0.Add(-2*time.Hour), "status 503"); err != nil {
		t.Fatal(err)
	}
	if err := s.Fail(ctx, ids[2], "bad_request"); err != nil { // failed at t0-2h
		t.Fatal(err)
	}
	now = t0
	if err := s.Fail(ctx, ids[3], "bad_request"); err != nil { // failed at t0
		t.Fatal(err)
	}
	if err := s.Put(ctx, "alerts", "cpu", []byte("firing")); err != nil {
		t.Fatal(err)
	}

	// Cut at t0-1h: at-or-after is kept.
	n, err := s.Prune(ctx, t0.Add(-time.Hour))
	if err != nil {
		t.Fatalf("Prune: %v", err)
	}
	if want := int64(1 + 2 + 1); n != want { // 1 report, 2 samples, 1 failed message
		t.Errorf("Prune deleted %d rows, want %d", n, want)
	}
	if recs, err := s.Reports(ctx, "sys", time.Time{}, 0); err != nil || len(recs) != 2 || !recs[0].At.Equal(t0.Add(-time.Hour)) {
		t.Errorf("Reports after Prune = %+v, %v; want the two from t0-1h on", recs, err)
	}
	for _, series := range []string{"cpu_percent", "memory_percent"} {
		if smp, err := s.Samples(ctx, series, time.Time{}); err != nil || len(smp) != 2 {
			t.Errorf("Samples %s after Prune = %+v, %v; want 2", series, smp, err)
		}
	}
	if f, err := s.Failed(ctx, "bot", 0); err != nil || len(f) != 1 || f[0].ID != ids[3] {
		t.Errorf("Failed after Prune = %+v, %v; want only the late one", f, err)
	}
	if d, err := s.Depth(ctx, "bot"); err != nil || d != 2 {
		t.Errorf("Depth after Prune = %d, %v; want both pending messages kept", d, err)
	}
	if _, ok, err := s.Get(ctx, "alerts", "cpu"); err != nil || !ok {
		t.Errorf("state after Prune = %v, %v; want kept", ok, err)
	}

	if n, err := s.Prune(ctx, t0.Add(-time.Hour)); err != nil || n != 0 {
		t.Errorf("second Prune = %d, %v; want 0", n, err)
	}
}
