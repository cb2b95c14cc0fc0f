package health

import (
	"testing"
	"time"
)

// BenchmarkEvaluate measures one snapshot's alert evaluation over the
// default rules (plus disk) on the steady path: nothing changes, nothing is
// sent. It must report 0 allocs/op.
func BenchmarkEvaluate(b *testing.B) {
	rules := append(DefaultRules(Thresholds{70, 85}, Thresholds{75, 90}, Thresholds{2000, 5000}, Thresholds{200, 500},
		time.Minute, time.Hour, 0.05), DiskRule(Thresholds{85, 95}, time.Minute, time.Hour, 0.05))
	values := []float64{23, 92, 180, 41, 88} // memory and disk firing, the others quiet
	states := make([]State, len(rules))
	for i := range rules {
		states[i], _, _ = rules[i].Evaluate(states[i], values[i], at(0))
		states[i], _, _ = rules[i].Evaluate(states[i], values[i], at(60))
	}
	ts := at(90)
	b.ReportAllocs()
	for b.Loop() {
		for i := range rules {
			var fire bool
			states[i], _, fire = rules[i].Evaluate(states[i], values[i], ts)
			if fire {
				b.Fatal("steady path fired")
			}
		}
	}
}

// BenchmarkTrendOf fits a trend on 120 samples (an hour at 30 s).
func BenchmarkTrendOf(b *testing.B) {
	s := series(1, 120, 30*time.Second, 50, 3, 1)
	b.ReportAllocs()
	for b.Loop() {
		tr := TrendOf("memory", s, true, 0.5)
		if tr.Samples != 120 {
			b.Fatal(tr.Samples)
		}
	}
}
