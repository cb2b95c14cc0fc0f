package config

import (
	"errors"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a configuration. Validate fills Key and
// Msg; Parse adds File and, when the key is in the file, Line.
type Problem struct {
	File string // the config file name as given to Parse or Load
	Line int    // 1-based; 0 when the key is not in the file
	Key  string // dotted key path such as "reports.system.interval"
	Msg  string // never contains a secret
}

// Error returns "FILE:LINE: KEY: MSG", leaving out the parts that are not
// known ("FILE: KEY: MSG" for a key that is not in the file).
func (p *Problem) Error() string {
	var b strings.Builder
	switch {
	case p.File != "" && p.Line > 0:
		b.WriteString(p.File + ":" + strconv.Itoa(p.Line) + ": ")
	case p.File != "":
		b.WriteString(p.File + ": ")
	case p.Line > 0:
		b.WriteString("line " + strconv.Itoa(p.Line) + ": ")
	}
	if p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems returns every *Problem in err, which may be a single *Problem or
// an errors.Join of them as returned by Parse, Load and Validate. It returns
// nil when err holds none.
func Problems(err error) []*Problem {
	if err == nil {
		return nil
	}
	var p *Problem
	if errors.As(err, &p) && err == error(p) {
		return []*Problem{p}
	}
	var out []*Problem
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, Problems(e)...)
		}
		return out
	}
	if u := errors.Unwrap(err); u != nil {
		return Problems(u)
	}
	return nil
}

// joinProblems returns the problems joined with errors.Join, or nil.
func joinProblems(ps []*Problem) error {
	if len(ps) == 0 {
		return nil
	}
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errors.Join(errs...)
}
