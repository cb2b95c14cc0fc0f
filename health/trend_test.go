package health

import (
	"math"
	"math/rand"
	"testing"
	"time"
)

// series returns n samples every step starting at base, following
// start + slopePerHour·hours plus Gaussian noise of the given deviation.
func series(seed int64, n int, step time.Duration, start, slopePerHour, noise float64) []Sample {
	r := rand.New(rand.NewSource(seed))
	out := make([]Sample, n)
	for i := range out {
		ts := base.Add(time.Duration(i) * step)
		out[i] = Sample{At: ts, Value: start + slopePerHour*ts.Sub(base).Hours() + r.NormFloat64()*noise}
	}
	return out
}

func TestTrendOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		slope, noise  float64
		higherIsWorse bool
		band          float64
		wantDir       Direction
		wantMeaning   string
	}{
		{"rising usage degrades", 2.5, 0.5, true, 0.5, Increasing, Degrading},
		{"falling usage improves", -3, 0.5, true, 0.5, Decreasing, Improving},
		{"rising availability improves", 1.2, 0.1, false, 0.1, Increasing, Improving},
		{"falling free space degrades", -4, 1, false, 0.5, Decreasing, Degrading},
		{"slope inside band is stable", 0.2, 0.05, true, 1, Stable, Steady},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// 120 samples, one a minute: a 2-hour window, ~119 minutes.
			s := series(int64(i+10), 120, time.Minute, 50, tc.slope, tc.noise)
			tr := TrendOf("memory", s, tc.higherIsWorse, tc.band)
			if tr.Direction != tc.wantDir || tr.Meaning != tc.wantMeaning {
				t.Errorf("direction %s meaning %s, want %s %s (slope %v)", tr.Direction, tr.Meaning, tc.wantDir, tc.wantMeaning, tr.SlopePerHour)
			}
			if math.Abs(tr.SlopePerHour-tc.slope) > 0.05*math.Abs(tc.slope)+0.1 {
				t.Errorf("slope %v/h, want %v/h", tr.SlopePerHour, tc.slope)
			}
			if tr.Samples != 120 || tr.Window != 119*time.Minute || tr.Metric != "memory" {
				t.Errorf("samples %d window %v metric %q", tr.Samples, tr.Window, tr.Metric)
			}
			if tc.wantDir != Stable && tr.R2 < 0.8 {
				t.Errorf("R2 %v on a clear trend", tr.R2)
			}
		})
	}
}

func TestTrendOf_edges(t *testing.T) {
	t.Parallel()
	two := series(1, 2, time.Minute, 10, 100, 0)
	if tr := TrendOf("cpu", two, true, 0); tr.Direction != Stable || tr.Meaning != Steady || tr.Samples != 2 || tr.SlopePerHour != 0 {
		t.Errorf("two samples: %+v", tr)
	}
	withGaps := series(2, 30, time.Minute, 10, 6, 0)
	withGaps[3].Value, withGaps[7].Value = math.NaN(), math.Inf(1)
	tr := TrendOf("cpu", withGaps, true, 0)
	if tr.Samples != 28 || math.Abs(tr.SlopePerHour-6) > 1e-9 || tr.R2 < 0.999999 || tr.Direction != Increasing {
		t.Errorf("NaN/Inf samples not skipped: %+v", tr)
	}
	// Order does not matter.
	rev := series(3, 60, time.Minute, 10, -2, 0.3)
	fwd := TrendOf("x", rev, true, 0)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	bwd := TrendOf("x", rev, true, 0)
	if math.Abs(fwd.SlopePerHour-bwd.SlopePerHour) > 1e-9 || fwd.Window != bwd.Window {
		t.Errorf("order changes the fit: %+v vs %+v", fwd, bwd)
	}
	same := []Sample{{base, 1}, {base, 2}, {base, 3}}
	if tr := TrendOf("x", same, true, 0); tr.Direction != Stable || tr.Samples != 3 {
		t.Errorf("samples at one instant: %+v", tr)
	}
	flat := series(4, 10, time.Minute, 42, 0, 0)
	if tr := TrendOf("x", flat, true, 0); tr.Direction != Stable || tr.SlopePerHour != 0 {
		t.Errorf("flat: %+v", tr)
	}
	noise := series(5, 120, time.Minute, 50, 0, 5)
	if tr := TrendOf("x", noise, true, 0); tr.R2 > 0.2 {
		t.Errorf("pure noise fitted with R2 %v", tr.R2)
	}
}

func TestWithin(t *testing.T) {
	t.Parallel()
	s := series(1, 10, time.Minute, 0, 0, 0) // 0..9 min
	got := Within(s, base.Add(9*time.Minute), 3*time.Minute)
	if len(got) != 3 || !got[0].At.Equal(base.Add(7*time.Minute)) {
		t.Errorf("Within = %v", got)
	}
	if got := Within(s, base.Add(-time.Hour), time.Minute); len(got) != 0 {
		t.Errorf("before all samples: %v", got)
	}
}

func TestForecast(t *testing.T) {
	t.Parallel()
	// Memory at 60 % rising 5 %/h, sampled each minute for 3 h: 75 % now,
	// so 90 % is 3 h away.
	s := series(7, 181, time.Minute, 60, 5, 0.8)
	now := base.Add(3 * time.Hour)
	eta, ok := Forecast(s, 90, now)
	if !ok || math.Abs(eta.Hours()-3) > 0.3 {
		t.Fatalf("Forecast = %v, %v; want about 3h (±10 %%)", eta, ok)
	}
	if got, want := ForecastSentence("memory", 90, "%", eta), "memory reaches 90 % in about 3 h at this rate"; got != want {
		t.Errorf("sentence %q, want %q", got, want)
	}
	// Free disk falling 2 GB/h from 100 GB: the 10 GB floor is 40 h after a 5 h window.
	d := series(8, 60, 5*time.Minute, 100, -2, 0.2)
	eta, ok = Forecast(d, 10, base.Add(5*time.Hour))
	if !ok || math.Abs(eta.Hours()-40) > 4 {
		t.Errorf("falling forecast = %v, %v; want about 40h", eta, ok)
	}

	for _, tc := range []struct {
		name      string
		s         []Sample
		threshold float64
	}{
		{"moving away", series(9, 60, time.Minute, 60, -5, 0.1), 90},
		{"flat", series(9, 60, time.Minute, 60, 0, 0), 90},
		{"already past", series(9, 60, time.Minute, 95, 5, 0.1), 90},
		{"too few samples", series(9, 2, time.Minute, 60, 5, 0), 90},
		{"NaN threshold", series(9, 60, time.Minute, 60, 5, 0), math.NaN()},
		{"beyond MaxForecast", series(9, 60, time.Minute, 0, 1e-6, 0), 90},
	} {
		if eta, ok := Forecast(tc.s, tc.threshold, base.Add(time.Hour)); ok {
			t.Errorf("%s: Forecast = %v, true; want false", tc.name, eta)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-time.Hour, "less than a minute"},
		{0, "less than a minute"},
		{59 * time.Second, "less than a minute"},
		{time.Minute, "1 min"},
		{45*time.Minute + 29*time.Second, "45 min"},
		{89 * time.Minute, "89 min"},
		{90 * time.Minute, "2 h"},
		{3*time.Hour + 10*time.Minute, "3 h"},
		{47 * time.Hour, "47 h"},
		{48 * time.Hour, "2 days"},
		{100 * time.Hour, "4 days"},
	}
	for _, tc := range tests {
		if got := HumanDuration(tc.d); got != tc.want {
			t.Errorf("HumanDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	if got := ForecastSentence("disk /", 95, "%", 20*time.Second); got != "disk / reaches 95 % within a minute at this rate" {
		t.Errorf("short sentence %q", got)
	}
}

func TestFormatValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v    float64
		unit string
		want string
	}{
		{90, "%", "90 %"},
		{85.5, "%", "85.5 %"},
		{66.49999999, "ms", "66.5 ms"},
		{0.004, "", "0"},
		{-0.001, "", "0"},
		{1234.567, "B", "1234.57 B"},
	}
	for _, tc := range tests {
		if got := FormatValue(tc.v, tc.unit); got != tc.want {
			t.Errorf("FormatValue(%v, %q) = %q, want %q", tc.v, tc.unit, got, tc.want)
		}
	}
}
