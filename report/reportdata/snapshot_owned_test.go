package reportdata

import (
	"testing"
	"time"
)

// AddOwned keeps the slice of a new metric and appends to an existing one.
func TestSnapshot_AddOwned(t *testing.T) {
	t.Parallel()
	s := NewSnapshot(time.Time{}, nil)
	pts := []Point{{Value: 1}, {Value: 2}}
	s.AddOwned("m", "1", pts)
	if got := s.Points("m"); len(got) != 2 || &s.metrics["m"].Points[0] != &pts[0] {
		t.Fatalf("new metric: points %+v not the given slice", got)
	}
	s.AddOwned("m", "1", []Point{{Value: 3}})
	s.Add("m", "1", Point{Value: 4})
	var sum float64
	for _, p := range s.Points("m") {
		sum += p.Value
	}
	if n := len(s.Points("m")); n != 4 || sum != 10 {
		t.Errorf("after appends: %d points summing to %v, want 4 summing to 10", n, sum)
	}
}
