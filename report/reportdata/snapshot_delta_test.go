package reportdata

import (
	"testing"
	"time"
)

// CounterDelta: the growth since prev; the cumulative value since the
// points' start without prev or after a reset; not ok without points.
func TestSnapshot_CounterDelta(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	snap := func(at time.Time, v float64) *Snapshot {
		s := NewSnapshot(at, nil)
		s.Add("c", "1", Point{Attrs: map[string]string{"k": "a"}, Start: t0, Value: v},
			Point{Attrs: map[string]string{"k": "b"}, Start: t0, Value: 1})
		return s
	}
	prev, cur := snap(t0.Add(time.Minute), 10), snap(t0.Add(3*time.Minute), 15)
	for _, tc := range []struct {
		name        string
		cur, prev   *Snapshot
		kv          []string
		delta, secs float64
		ok          bool
	}{
		{"growth", cur, prev, []string{"k", "a"}, 5, 120, true},
		{"summed", cur, prev, nil, 5, 120, true},
		{"no prev", cur, nil, []string{"k", "a"}, 15, 180, true},
		{"reset", prev, cur, []string{"k", "a"}, 10, 60, true},
		{"no points", cur, prev, []string{"k", "z"}, 0, 0, false},
	} {
		delta, secs, ok := tc.cur.CounterDelta(tc.prev, "c", tc.kv...)
		if delta != tc.delta || secs != tc.secs || ok != tc.ok {
			t.Errorf("%s: got %v, %v, %v; want %v, %v, %v", tc.name, delta, secs, ok, tc.delta, tc.secs, tc.ok)
		}
	}
}
