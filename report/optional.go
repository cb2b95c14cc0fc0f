package report

import (
	"fmt"
	"math"
)

// Missing values. A report value that could not be read (its metric is not
// in the snapshot, or there is no interval to compute it over) is a nil
// pointer in the report data: null in JSON, "n/a" in text. It is never 0,
// which would read as a healthy host; a value measured as 0 stays 0.

// noteFirstReport is the note of a value that needs an interval and has
// none yet: the first report after start has no previous collection.
const noteFirstReport = "first report"

// opt returns a pointer to v when ok, else nil.
func opt[T any](v T, ok bool) *T {
	if !ok {
		return nil
	}
	return &v
}

// num returns *p as a float64, NaN for nil (the fmt* functions print NaN
// as "n/a", and scores and alerts skip it).
func num[T ~int | ~int64 | ~uint64 | ~float64](p *T) float64 {
	if p == nil {
		return math.NaN()
	}
	return float64(*p)
}

// roundOpt rounds *p to dec decimals; nil stays nil.
func roundOpt(p *float64, dec int) *float64 {
	if p == nil {
		return nil
	}
	return new(round(*p, dec))
}

// u64Opt converts a byte or event count read as a float64.
func u64Opt(v float64, ok bool) *uint64 { return opt(u64(v), ok) }

// intOpt converts a count read as a float64.
func intOpt(v float64, ok bool) *int { return opt(int(v), ok) }

// fmtCount formats a count, "n/a" for nil.
func fmtCount[T ~int | ~int64 | ~uint64](p *T) string {
	if p == nil {
		return "n/a"
	}
	return fmt.Sprintf("%d", *p)
}

// noted returns s, with note appended as "n/a (note)" when s is "n/a" and
// note is set.
func noted(s, note string) string {
	if s == "n/a" && note != "" {
		return "n/a (" + note + ")"
	}
	return s
}
