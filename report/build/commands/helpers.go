package commands

import (
	"math"

	"github.com/nexusmon/nexusmon/report/reportdata"
)

// The helpers below are the ones of report/build that the command reports
// share with the others; build imports this package (its health report
// takes the command figures), so they are kept here as well.

// counterDelta returns the growth of counter name (summed over the points
// matching kv) between prev and cur, and the seconds it covers. Without
// prev, or after a reset, it returns the cumulative value and the time
// since the points' start.
func counterDelta(cur, prev *reportdata.Snapshot, name string, kv ...string) (delta, secs float64) {
	c, ok := cur.Sum(name, kv...)
	if !ok {
		return 0, 0
	}
	if prev != nil {
		if p, ok := prev.Sum(name, kv...); ok && c >= p {
			return c - p, cur.Time.Sub(prev.Time).Seconds()
		}
	}
	if pts := cur.Points(name, kv...); len(pts) > 0 && !pts[0].Start.IsZero() {
		secs = cur.Time.Sub(pts[0].Start).Seconds()
	}
	return c, math.Max(secs, 0)
}

// worstScore returns the lowest score, ignoring NaN (unavailable); 100 when
// none is available.
func worstScore(scores ...float64) float64 {
	w := 100.0
	for _, s := range scores {
		if !math.IsNaN(s) && s < w {
			w = s
		}
	}
	return w
}

func derefInt(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
