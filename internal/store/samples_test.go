package store

import (
	"context"
	"math"
	"reflect"
	"testing"
	"time"
)

func TestStore_SaveSamples(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)

	steps := []struct {
		at     time.Time
		values map[string]float64
	}{
		{t0, map[string]float64{"cpu_percent": 10, "memory_percent": 50}},
		{t0.Add(30 * time.Second), map[string]float64{"cpu_percent": 20, "memory_percent": math.NaN(), "latency_ms": math.Inf(1)}},
		{t0.Add(time.Minute), map[string]float64{"cpu_percent": 30.5}},
		{t0.Add(time.Minute), map[string]float64{"cpu_percent": 31.25}}, // replaces the value at the same time
		{t0.Add(2 * time.Minute), nil},                                  // nothing to save
	}
	for _, st := range steps {
		if err := s.SaveSamples(ctx, st.at, st.values); err != nil {
			t.Fatalf("SaveSamples: %v", err)
		}
	}

	tests := []struct {
		name   string
		series string
		since  time.Time
		want   []Sample
	}{
		{"all, oldest first", "cpu_percent", time.Time{}, []Sample{
			{At: t0, Value: 10}, {At: t0.Add(30 * time.Second), Value: 20}, {At: t0.Add(time.Minute), Value: 31.25}}},
		{"since is inclusive", "cpu_percent", t0.Add(30 * time.Second), []Sample{
			{At: t0.Add(30 * time.Second), Value: 20}, {At: t0.Add(time.Minute), Value: 31.25}}},
		{"NaN was skipped", "memory_percent", time.Time{}, []Sample{{At: t0, Value: 50}}},
		{"Inf was skipped", "latency_ms", time.Time{}, nil},
		{"unknown series", "nope", time.Time{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Samples(ctx, tt.series, tt.since)
			if err != nil {
				t.Fatalf("Samples: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Samples = %v, want %v", got, tt.want)
			}
		})
	}
}
