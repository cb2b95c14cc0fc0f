package health

import (
	"math"
	"math/rand"
	"testing"
)

func TestScore(t *testing.T) {
	t.Parallel()
	cpu := Thresholds{Warning: 70, Critical: 85} // span 15: 0 at 100
	const eps = 1e-9
	tests := []struct {
		name   string
		value  float64
		t      Thresholds
		want   float64
		approx bool // want is a limit: compare within 1e-6, and check the side below
		side   int  // -1: strictly below want, +1: strictly above
	}{
		{"zero", 0, cpu, 100, false, 0},
		{"negative", -5, cpu, 100, false, 0},
		{"half of warning", 35, cpu, 87.5, false, 0},
		{"just below warning", 70 - eps, cpu, 75, true, +1},
		{"at warning", 70, cpu, 75, false, 0},
		{"just above warning", 70 + eps, cpu, 75, true, -1},
		{"midpoint", 77.5, cpu, 50, false, 0},
		{"just below critical", 85 - eps, cpu, 25, true, +1},
		{"at critical", 85, cpu, 25, false, 0},
		{"just above critical", 85 + eps, cpu, 25, true, -1},
		{"half a span above critical", 92.5, cpu, 12.5, false, 0},
		{"a span above critical", 100, cpu, 0, false, 0},
		{"huge", 1e12, cpu, 0, false, 0},
		{"+Inf", math.Inf(1), cpu, 0, false, 0},
		{"-Inf", math.Inf(-1), cpu, 100, false, 0},
		{"latency at warning", 2000, Thresholds{2000, 5000}, 75, false, 0},
		{"latency between", 3500, Thresholds{2000, 5000}, 50, false, 0},
		{"degenerate at line", 80, Thresholds{80, 80}, 25, false, 0},
		{"degenerate above line", 120, Thresholds{80, 80}, 12.5, false, 0},
		{"degenerate a span above line", 160, Thresholds{80, 80}, 0, false, 0},
		{"degenerate below line", 40, Thresholds{80, 60}, 87.5, false, 0},
		{"degenerate critical below warning at warning", 80, Thresholds{80, 60}, 25, false, 0},
		{"negative warning below it", -20, Thresholds{-10, 10}, 100, false, 0},
		{"negative warning at it", -10, Thresholds{-10, 10}, 75, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Score(tc.value, tc.t)
			if !tc.approx {
				if got != tc.want {
					t.Errorf("Score(%v, %+v) = %v, want exactly %v", tc.value, tc.t, got, tc.want)
				}
				return
			}
			if math.Abs(got-tc.want) > 1e-6 || (tc.side < 0 && got >= tc.want) || (tc.side > 0 && got <= tc.want) {
				t.Errorf("Score(%v, %+v) = %v, want just %s %v", tc.value, tc.t, got, map[int]string{-1: "below", 1: "above"}[tc.side], tc.want)
			}
		})
	}
}

func TestScore_unavailable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v float64
		t Thresholds
	}{
		{math.NaN(), Thresholds{70, 85}},
		{50, Thresholds{math.NaN(), 85}},
		{50, Thresholds{70, math.NaN()}},
		{50, Thresholds{70, math.Inf(1)}},
		{50, Thresholds{math.Inf(-1), 85}},
	} {
		if got := Score(tc.v, tc.t); !math.IsNaN(got) {
			t.Errorf("Score(%v, %+v) = %v, want NaN", tc.v, tc.t, got)
		}
	}
}

func randThresholds(r *rand.Rand) Thresholds {
	w := r.Float64() * 1000
	return Thresholds{Warning: w, Critical: w + r.Float64()*1000 + 1e-6}
}

func TestScore_neverRisesAsValueWorsens(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		th := randThresholds(r)
		a := (r.Float64()*3 - 0.5) * th.Critical
		b := a + r.Float64()*th.Critical
		sa, sb := Score(a, th), Score(b, th)
		if sa < 0 || sa > 100 || sb < 0 || sb > 100 {
			t.Fatalf("score out of range: Score(%v)=%v Score(%v)=%v with %+v", a, sa, b, sb, th)
		}
		if sb > sa {
			t.Fatalf("Score rose as value worsened: Score(%v)=%v < Score(%v)=%v with %+v", a, sa, b, sb, th)
		}
	}
}

func TestLevelOf_partitionAndMonotonic(t *testing.T) {
	t.Parallel()
	bands := []struct {
		level  Level
		lo, hi float64 // [lo, hi)
	}{
		{Critical, math.Inf(-1), 25}, {Poor, 25, 50}, {Fair, 50, 75}, {Good, 75, 90}, {Excellent, 90, math.Inf(1)},
	}
	r := rand.New(rand.NewSource(2))
	scores := []float64{0, 24.999, 25, 49.999, 50, 74.999, 75, 89.999, 90, 100}
	for i := 0; i < 5000; i++ {
		scores = append(scores, r.Float64()*100)
	}
	for _, s := range scores {
		n := 0
		for _, b := range bands {
			if s >= b.lo && s < b.hi {
				n++
				if got := LevelOf(s); got != b.level {
					t.Errorf("LevelOf(%v) = %v, want %v", s, got, b.level)
				}
			}
		}
		if n != 1 {
			t.Errorf("score %v falls in %d bands", s, n)
		}
	}
	for i := 0; i < 5000; i++ {
		a, b := r.Float64()*120-10, r.Float64()*120-10
		if a > b {
			a, b = b, a
		}
		if LevelOf(a) > LevelOf(b) {
			t.Fatalf("LevelOf not monotonic: LevelOf(%v)=%v > LevelOf(%v)=%v", a, LevelOf(a), b, LevelOf(b))
		}
	}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	cpuT, memT := Thresholds{70, 85}, Thresholds{75, 90}
	t.Run("weighted mean", func(t *testing.T) {
		overall, level, scores := Evaluate([]Component{
			{Name: "cpu", Value: 35, Thresholds: cpuT, Weight: 3, Available: true},    // 87.5
			{Name: "memory", Value: 75, Thresholds: memT, Weight: 1, Available: true}, // 75
		})
		if want := (3*87.5 + 75) / 4; overall != want || level != Good {
			t.Errorf("overall %v %v, want %v Good", overall, level, want)
		}
		if scores[0].Score != 87.5 || scores[0].Level != Good || scores[1].Score != 75 || !scores[1].Available {
			t.Errorf("scores %+v", scores)
		}
	})
	t.Run("capped at worst plus 25", func(t *testing.T) {
		overall, level, _ := Evaluate([]Component{
			{Name: "cpu", Value: 0, Thresholds: cpuT, Available: true},
			{Name: "memory", Value: 0, Thresholds: memT, Available: true},
			{Name: "network", Value: 0, Thresholds: Thresholds{200, 500}, Available: true},
			{Name: "discord", Value: 0, Thresholds: Thresholds{2000, 5000}, Available: true},
			{Name: "disk", Value: 97, Thresholds: Thresholds{85, 95}, Available: true}, // 25 - 25*2/10 = 20
		})
		if overall != 45 || level != Poor {
			t.Errorf("overall %v %v, want 45 Poor (worst 20 + 25)", overall, level)
		}
	})
	t.Run("unavailable components are skipped", func(t *testing.T) {
		overall, _, scores := Evaluate([]Component{
			{Name: "cpu", Value: 35, Thresholds: cpuT, Available: true},
			{Name: "memory", Value: math.NaN(), Thresholds: memT, Available: true},
			{Name: "discord", Value: 99999, Thresholds: Thresholds{2000, 5000}, Available: false},
		})
		if overall != 87.5 {
			t.Errorf("overall %v, want 87.5", overall)
		}
		for _, s := range scores[1:] {
			if s.Available || s.Score != 0 || s.Value != 0 || s.Level != Critical {
				t.Errorf("unavailable %+v", s)
			}
		}
	})
	t.Run("none available", func(t *testing.T) {
		overall, level, scores := Evaluate([]Component{{Name: "cpu", Value: math.NaN(), Thresholds: cpuT, Available: true}, {Name: "memory"}})
		if overall != 0 || level != Critical || len(scores) != 2 || scores[0].Available || scores[1].Available {
			t.Errorf("got %v %v %+v", overall, level, scores)
		}
		if o, l, s := Evaluate(nil); o != 0 || l != Critical || len(s) != 0 {
			t.Errorf("Evaluate(nil) = %v %v %v", o, l, s)
		}
	})
}

func TestEvaluate_properties(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 5000; i++ {
		n := 1 + r.Intn(6)
		cs := make([]Component, n)
		for j := range cs {
			th := randThresholds(r)
			cs[j] = Component{Name: "c", Value: r.Float64() * th.Critical * 2, Thresholds: th, Weight: r.Float64() * 5, Available: r.Intn(5) != 0}
		}
		overall, level, scores := Evaluate(cs)
		worst, best, seen := 100.0, 0.0, false
		for j, s := range scores {
			if !s.Available {
				continue
			}
			seen = true
			worst, best = math.Min(worst, s.Score), math.Max(best, s.Score)
			if s.Score != Score(cs[j].Value, cs[j].Thresholds) || s.Level != LevelOf(s.Score) {
				t.Fatalf("component %d: %+v", j, s)
			}
		}
		if !seen {
			if overall != 0 || level != Critical {
				t.Fatalf("none available: %v %v", overall, level)
			}
			continue
		}
		if overall > worst+25+1e-9 || overall < worst-1e-9 || overall > best+1e-9 || level != LevelOf(overall) {
			t.Fatalf("overall %v (%v) with worst %v best %v: %+v", overall, level, worst, best, scores)
		}
	}
}
