package window

import (
	"testing"
	"time"
)

func TestCounter(t *testing.T) {
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
			var w Counter
			for _, d := range tc.adds {
				w.Add(t0.Add(d))
			}
			if got := w.Count(t0.Add(tc.at)); got != tc.want {
				t.Errorf("Count = %d, want %d", got, tc.want)
			}
		})
	}
}
