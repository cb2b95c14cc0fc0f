package format

import (
	"math"
	"strconv"
)

// Missing values. A report value that could not be read (its metric is not
// in the snapshot, or there is no interval to compute it over) is a nil
// pointer in the report data: null in JSON, "n/a" in text. It is never 0,
// which would read as a healthy host; a value measured as 0 stays 0.

// NoteFirstReport is the note of a value that needs an interval and has
// none yet: the first report after start has no previous collection.
const NoteFirstReport = "first report"

// Opt returns a pointer to v when ok, else nil.
func Opt[T any](v T, ok bool) *T {
	if !ok {
		return nil
	}
	return &v
}

// Num returns *p as a float64, NaN for nil (the formatting functions print
// NaN as "n/a", and scores and alerts skip it).
func Num[T ~int | ~int64 | ~uint64 | ~float64](p *T) float64 {
	if p == nil {
		return math.NaN()
	}
	return float64(*p)
}

// RoundOpt rounds *p to dec decimals; nil stays nil.
func RoundOpt(p *float64, dec int) *float64 {
	if p == nil {
		return nil
	}
	return new(Round(*p, dec))
}

// U64Opt converts a byte or event count read as a float64.
func U64Opt(v float64, ok bool) *uint64 { return Opt(U64(v), ok) }

// IntOpt converts a count read as a float64.
func IntOpt(v float64, ok bool) *int { return Opt(int(v), ok) }

// Count formats a count, "n/a" for nil.
func Count[T ~int | ~int64 | ~uint64](p *T) string {
	if p == nil {
		return "n/a"
	}
	if v := *p; v < 0 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatUint(uint64(*p), 10)
}

// Noted returns s, with note appended as "n/a (note)" when s is "n/a" and
// note is set.
func Noted(s, note string) string {
	if s == "n/a" && note != "" {
		return "n/a (" + note + ")"
	}
	return s
}

func U64(v float64) uint64 {
	if v <= 0 || math.IsNaN(v) {
		return 0
	}
	return uint64(v + 0.5)
}

// Slab hands out pointers to values kept in shared arrays of slabSize: the
// optional figures of one report cost an allocation per slabSize values,
// not one each (a system report has about seventy). A value keeps its
// whole array alive, so a Slab is for values that live and die together,
// those of one report. The zero Slab is ready to use; it is not safe for
// concurrent use.
type Slab[T any] struct{ free []T }

const slabSize = 16

// New returns a pointer to a copy of v.
func (s *Slab[T]) New(v T) *T {
	if len(s.free) == 0 {
		s.free = make([]T, slabSize)
	}
	p := &s.free[0]
	*p = v
	s.free = s.free[1:]
	return p
}

// Opt is Opt(v, ok) with the value in s.
func (s *Slab[T]) Opt(v T, ok bool) *T {
	if !ok {
		return nil
	}
	return s.New(v)
}
