package commands

import "math"

// The helpers below are the ones of report/build that the command reports
// share with the others; build imports this package (its health report
// takes the command figures), so they are kept here as well.

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
