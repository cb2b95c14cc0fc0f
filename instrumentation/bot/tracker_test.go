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
