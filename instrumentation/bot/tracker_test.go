package bot

import (
	"fmt"
	"testing"
	"time"
)

func TestTracker(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	var tr tracker
	tr.begin("a", pending{start: t0})
	tr.begin("b", pending{start: t0.Add(time.Minute)})
	if p, ok := tr.take("a"); !ok || !p.start.Equal(t0) {
		t.Errorf("take(a) = %+v, %v", p, ok)
	}
	if _, ok := tr.take("a"); ok {
		t.Error("a taken twice")
	}
	// Past the token lifetime, b is swept by the next begin.
	tr.begin("c", pending{start: t0.Add(time.Minute + trackTTL + time.Second)})
	if _, ok := tr.take("b"); ok {
		t.Error("expired entry b survived the sweep")
	}
	if tr.size() != 1 {
		t.Errorf("size = %d, want 1", tr.size())
	}
}

func TestTracker_Bounded(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	var tr tracker
	for i := range trackMax + 10 {
		tr.begin(fmt.Sprint(i), pending{start: t0})
	}
	if tr.size() != trackMax {
		t.Errorf("size = %d, want %d", tr.size(), trackMax)
	}
}

func TestWindow(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		adds []time.Duration
		at   time.Duration
		want int64
	}{
		"empty":               {at: 0, want: 0},
		"same second":         {adds: []time.Duration{0, 0, 500 * time.Millisecond}, at: time.Second - 1, want: 3},
		"spread":              {adds: []time.Duration{0, time.Minute, 5 * time.Minute}, at: 9 * time.Minute, want: 3},
		"oldest leaves":       {adds: []time.Duration{0, time.Minute}, at: 10 * time.Minute, want: 1},
		"all gone":            {adds: []time.Duration{0, time.Minute}, at: time.Hour, want: 0},
		"slot reused":         {adds: []time.Duration{0, 10 * time.Minute}, at: 10 * time.Minute, want: 1},
		"future is not count": {adds: []time.Duration{time.Minute}, at: 0, want: 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var w window
			for _, d := range tc.adds {
				w.add(t0.Add(d))
			}
			if got := w.count(t0.Add(tc.at)); got != tc.want {
				t.Errorf("count = %d, want %d", got, tc.want)
			}
		})
	}
}
