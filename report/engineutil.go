package report

import "math"

// numOf is the value of an optional number, NaN when absent.
func numOf[T ~int | ~int64 | ~uint64 | ~float64](p *T) float64 {
	if p == nil {
		return math.NaN()
	}
	return float64(*p)
}

// roundTo rounds v to dec decimals; NaN and infinities give 0.
func roundTo(v float64, dec int) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	p := math.Pow(10, float64(dec))
	return math.Round(v*p) / p
}
