package health

import "math"

// Component names used by nexusmon's health report (DESIGN §4).
const (
	ComponentCPU     = "cpu"
	ComponentMemory  = "memory"
	ComponentDisk    = "disk"
	ComponentNetwork = "network"
	ComponentDiscord = "discord"
)

// Thresholds are the warning and critical lines of a "higher is worse" value,
// e.g. CPU 70/85 %. Critical is expected to be above Warning.
type Thresholds struct {
	Warning, Critical float64
}

// Score maps a "higher is worse" value to a health score from 0 to 100:
//
//   - from 0 up to Warning it falls linearly from 100 to 75 (values at or
//     below 0 score 100);
//   - a value at Warning scores exactly 75, at Critical exactly 25, linear
//     between;
//   - above Critical it falls linearly from 25 to 0, reached at
//     Critical + (Critical − Warning), and stays 0 beyond.
//
// The score never rises as the value grows. A NaN value, or NaN or infinite
// thresholds, give NaN, which callers treat as "unavailable". Thresholds with
// Critical below Warning are read as Critical = Warning: a value at that line
// scores 25, below it the usual 100→75 ramp applies, and above it the score
// falls to 0 over a span of |Warning| (1 when Warning is 0).
func Score(value float64, t Thresholds) float64 {
	w, c := t.Warning, t.Critical
	if math.IsNaN(value) || !finite(w) || !finite(c) {
		return math.NaN()
	}
	if c < w {
		c = w
	}
	span := c - w
	if span <= 0 {
		span = math.Abs(w)
		if span == 0 {
			span = 1
		}
	}
	var s float64
	switch {
	case value < w:
		if w <= 0 || value <= 0 {
			return 100
		}
		s = 100 - 25*value/w
	case value < c:
		s = 75 - 50*(value-w)/(c-w)
	default:
		s = 25 - 25*(value-c)/span
	}
	return clamp(s, 0, 100)
}

// Component is one input of the overall health score.
type Component struct {
	Name       string     // "cpu", "memory", "disk", "network", "discord"
	Value      float64    // current value, "higher is worse"; NaN when unknown
	Thresholds Thresholds // the component's warning and critical lines
	Weight     float64    // relative weight in the overall score; ≤ 0 or NaN counts as 1
	Available  bool       // false when the value could not be collected
}

// ComponentScore is a component's score and level.
type ComponentScore struct {
	Name      string
	Value     float64 // the input value; 0 when unavailable
	Score     float64 // 0–100; 0 when unavailable
	Level     Level   // LevelOf(Score); Critical when unavailable
	Available bool    // false: the component had no usable value, ignore Score and Level
}

// Evaluate scores every component and combines the available ones into an
// overall score and level.
//
// A component is available when Available is set, its value is finite and
// its thresholds are valid. The overall score is the weighted mean of the
// available components' scores, capped at 25 points above the worst available
// component, so one failing component cannot hide behind healthy ones.
//
// When no component is available, Evaluate returns 0 and Critical, and every
// ComponentScore has Available false: "no data" is reported as the worst
// case rather than as healthy. Unavailable entries carry Value 0, Score 0 and
// Level Critical so that they marshal to JSON (which has no NaN); callers
// must check Available before showing them.
func Evaluate(cs []Component) (overall float64, level Level, scores []ComponentScore) {
	scores = make([]ComponentScore, len(cs))
	var sum, weights float64
	worst := math.Inf(1)
	for i, c := range cs {
		s := Score(c.Value, c.Thresholds)
		if !c.Available || math.IsNaN(s) || math.IsInf(c.Value, 0) {
			scores[i] = ComponentScore{Name: c.Name, Level: Critical}
			continue
		}
		scores[i] = ComponentScore{Name: c.Name, Value: c.Value, Score: s, Level: LevelOf(s), Available: true}
		w := c.Weight
		if !(w > 0) || math.IsInf(w, 1) {
			w = 1
		}
		sum += w * s
		weights += w
		worst = math.Min(worst, s)
	}
	if weights == 0 {
		return 0, Critical, scores
	}
	overall = math.Min(sum/weights, worst+25)
	overall = clamp(overall, 0, 100)
	return overall, LevelOf(overall), scores
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func clamp(v, lo, hi float64) float64 {
	return math.Max(lo, math.Min(hi, v))
}
