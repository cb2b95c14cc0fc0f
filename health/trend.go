package health

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Sample is one stored observation of a metric.
type Sample struct {
	At    time.Time
	Value float64
}

// Direction is the sign of a trend.
type Direction string

// Directions of a trend.
const (
	Increasing Direction = "increasing"
	Decreasing Direction = "decreasing"
	Stable     Direction = "stable"
)

// What a trend means for the metric.
const (
	Degrading = "degrading"
	Improving = "improving"
	Steady    = "steady"
)

// MinTrendSamples is the fewest finite samples a trend or forecast is fitted on.
const MinTrendSamples = 3

// MaxForecast is the longest horizon Forecast reports; a line that takes
// longer to reach its threshold is treated as flat.
const MaxForecast = 365 * 24 * time.Hour

// Trend is the least-squares trend of a metric over a window of samples.
type Trend struct {
	Metric       string
	Direction    Direction
	SlopePerHour float64 // change of the fitted line per hour, in the metric's unit
	Meaning      string  // "degrading", "improving" or "steady"
	Samples      int     // finite samples used
	Window       time.Duration
	R2           float64 // coefficient of determination of the fit, 0–1
}

// fit is an ordinary least-squares line through samples, with x in hours
// since the first usable sample.
type fit struct {
	n          int
	t0         time.Time
	meanX      float64
	meanY      float64
	slope      float64 // per hour
	r2         float64
	window     time.Duration
	degenerate bool // all samples at the same instant: no slope
}

func fitLine(samples []Sample) fit {
	var f fit
	var minAt, maxAt time.Time
	var sx, sy float64
	for _, s := range samples {
		if !finite(s.Value) {
			continue
		}
		if f.n == 0 {
			f.t0, minAt, maxAt = s.At, s.At, s.At
		}
		if s.At.Before(minAt) {
			minAt = s.At
		}
		if s.At.After(maxAt) {
			maxAt = s.At
		}
		f.n++
		sx += s.At.Sub(f.t0).Hours()
		sy += s.Value
	}
	if f.n == 0 {
		f.degenerate = true
		return f
	}
	f.window = maxAt.Sub(minAt)
	f.meanX, f.meanY = sx/float64(f.n), sy/float64(f.n)
	// Second pass on centred values keeps the sums well conditioned.
	var sxx, sxy, syy float64
	for _, s := range samples {
		if !finite(s.Value) {
			continue
		}
		dx := s.At.Sub(f.t0).Hours() - f.meanX
		dy := s.Value - f.meanY
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	if sxx == 0 {
		f.degenerate = true
		return f
	}
	f.slope = sxy / sxx
	switch {
	case syy == 0:
		f.r2 = 1 // a flat series is fitted exactly
	default:
		f.r2 = clamp(sxy*sxy/(sxx*syy), 0, 1)
	}
	return f
}

// at returns the fitted line's value at t.
func (f fit) at(t time.Time) float64 {
	return f.meanY + f.slope*(t.Sub(f.t0).Hours()-f.meanX)
}

// TrendOf fits a least-squares line through samples (in any order; NaN and
// infinite values are skipped) and classifies its slope. A slope whose
// absolute value per hour is below stableBand is Stable; otherwise the sign
// gives the direction, and higherIsWorse says whether increasing means
// "degrading" (usage, latency) or "improving" (availability, free space).
// Fewer than MinTrendSamples samples, or samples all at one instant, give
// Stable with Samples set. A negative or NaN stableBand counts as 0.
func TrendOf(metric string, samples []Sample, higherIsWorse bool, stableBand float64) Trend {
	f := fitLine(samples)
	t := Trend{Metric: metric, Direction: Stable, Meaning: Steady, Samples: f.n, Window: f.window}
	if f.n < MinTrendSamples || f.degenerate {
		return t
	}
	t.SlopePerHour, t.R2 = f.slope, f.r2
	if !(stableBand > 0) {
		stableBand = 0
	}
	if f.slope == 0 || math.Abs(f.slope) < stableBand {
		return t
	}
	if f.slope > 0 {
		t.Direction = Increasing
	} else {
		t.Direction = Decreasing
	}
	if (f.slope > 0) == higherIsWorse {
		t.Meaning = Degrading
	} else {
		t.Meaning = Improving
	}
	return t
}

// Within returns the samples of a time-ordered slice that fall in
// (end − d, end]. It returns a sub-slice of samples and does not copy.
func Within(samples []Sample, end time.Time, d time.Duration) []Sample {
	start := end.Add(-d)
	lo := sort.Search(len(samples), func(i int) bool { return samples[i].At.After(start) })
	hi := sort.Search(len(samples), func(i int) bool { return samples[i].At.After(end) })
	if hi < lo {
		hi = lo
	}
	return samples[lo:hi]
}

// Forecast returns how long, from now, the least-squares line through
// samples takes to reach threshold. ok is false when there are fewer than
// MinTrendSamples finite samples, the line is flat or moving away from the
// threshold, the fitted value at now is already at or past it, or the
// answer exceeds MaxForecast.
func Forecast(samples []Sample, threshold float64, now time.Time) (eta time.Duration, ok bool) {
	if !finite(threshold) {
		return 0, false
	}
	f := fitLine(samples)
	if f.n < MinTrendSamples || f.degenerate || f.slope == 0 {
		return 0, false
	}
	cur := f.at(now)
	gap := threshold - cur
	// Heading towards it means the gap and the slope have the same sign;
	// a zero gap means already there.
	if gap == 0 || (gap > 0) != (f.slope > 0) {
		return 0, false
	}
	hours := gap / f.slope
	if !(hours > 0) || hours > MaxForecast.Hours() {
		return 0, false
	}
	return time.Duration(hours * float64(time.Hour)), true
}

// ForecastSentence says when metric reaches threshold, e.g. "memory reaches
// 90 % in about 3 h at this rate".
func ForecastSentence(metric string, threshold float64, unit string, eta time.Duration) string {
	if eta < time.Minute {
		return fmt.Sprintf("%s reaches %s within a minute at this rate", metric, FormatValue(threshold, unit))
	}
	return fmt.Sprintf("%s reaches %s in about %s at this rate", metric, FormatValue(threshold, unit), HumanDuration(eta))
}

// HumanDuration renders d the way people say it: "less than a minute",
// "45 min", "3 h", "4 days". Minutes are used below 90 minutes, hours below
// two days, days beyond; each is rounded to the nearest whole unit. Negative
// durations count as zero.
func HumanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < 90*time.Minute:
		return strconv.Itoa(int(math.Round(d.Minutes()))) + " min"
	case d < 48*time.Hour:
		return strconv.Itoa(int(math.Round(d.Hours()))) + " h"
	default:
		return strconv.Itoa(int(math.Round(d.Hours()/24))) + " days"
	}
}

// FormatValue renders v with at most two decimals (trailing zeros dropped)
// followed by unit, separated by a space: "90 %", "512.5 ms", "3".
func FormatValue(v float64, unit string) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	if unit == "" {
		return s
	}
	return s + " " + unit
}
