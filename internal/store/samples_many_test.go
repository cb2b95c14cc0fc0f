package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// More samples than one prepared insert holds are all saved (in one
// transaction of several inserts).
func TestStore_SaveSamplesManySeries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	values := map[string]float64{}
	for i := range 2*maxCachedSampleRows + 5 {
		values[fmt.Sprintf("series_%03d", i)] = float64(i)
	}
	for _, at := range []time.Time{t0, t0.Add(time.Second)} {
		if err := s.SaveSamples(ctx, at, values); err != nil {
			t.Fatal(err)
		}
	}
	for series, v := range values {
		got, err := s.Samples(ctx, series, time.Time{})
		if err != nil || len(got) != 2 || got[0].Value != v || got[1].Value != v {
			t.Fatalf("samples of %s = %v, %v; want %v twice", series, got, err, v)
		}
	}
}
