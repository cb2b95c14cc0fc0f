package probe

import (
	"testing"
	"time"
)

func TestHistory_Ratio(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		capacity int
		add      []outcome
		now      time.Time
		want     float64
		wantN    int
	}{
		"empty": {capacity: 4, now: t0, want: 0},
		"all ok": {
			capacity: 4, now: t0.Add(2 * time.Minute), want: 1, wantN: 2,
			add: []outcome{{t0, true}, {t0.Add(time.Minute), true}},
		},
		"mixed": {
			capacity: 8, now: t0.Add(3 * time.Minute), want: 0.5, wantN: 4,
			add: []outcome{{t0, true}, {t0.Add(time.Minute), false}, {t0.Add(2 * time.Minute), true}, {t0.Add(3 * time.Minute), false}},
		},
		"old entries leave the window": {
			capacity: 8, now: t0.Add(time.Hour + time.Minute), want: 1, wantN: 1,
			add: []outcome{{t0, false}, {t0.Add(time.Minute), false}, {t0.Add(61 * time.Minute), true}},
		},
		"full ring overwrites the oldest": {
			capacity: 2, now: t0.Add(3 * time.Minute), want: 1, wantN: 2,
			add: []outcome{{t0, false}, {t0.Add(time.Minute), false}, {t0.Add(2 * time.Minute), true}, {t0.Add(3 * time.Minute), true}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHistory(tc.capacity)
			for _, o := range tc.add {
				h.add(o)
			}
			if got := h.ratio(tc.now, AvailabilityWindow); got != tc.want || h.n != tc.wantN {
				t.Errorf("ratio = %v over %d entries, want %v over %d", got, h.n, tc.want, tc.wantN)
			}
		})
	}
}

func TestHistoryCapacity(t *testing.T) {
	t.Parallel()
	tests := map[time.Duration]int{
		time.Minute:            136,
		30 * time.Second:       256,
		time.Millisecond:       maxHistory,
		0:                      maxHistory,
		2 * AvailabilityWindow: 16,
	}
	for interval, want := range tests {
		if got := historyCapacity(interval); got != want {
			t.Errorf("historyCapacity(%v) = %d, want %d", interval, got, want)
		}
	}
}
