package store

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
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

// SamplesBetween reads every named series in one range: bounds inclusive,
// a zero to for no end, other series left out, a series without values
// absent.
func TestStore_SamplesBetween(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	for i := range 5 {
		at := t0.Add(time.Duration(i) * time.Minute)
		if err := s.SaveSamples(ctx, at, map[string]float64{"a": float64(i), "b": float64(10 * i), "c": -1}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.SamplesBetween(ctx, t0.Add(time.Minute), t0.Add(3*time.Minute), "a", "b", "none")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]Sample{
		"a": {{At: t0.Add(time.Minute), Value: 1}, {At: t0.Add(2 * time.Minute), Value: 2}, {At: t0.Add(3 * time.Minute), Value: 3}},
		"b": {{At: t0.Add(time.Minute), Value: 10}, {At: t0.Add(2 * time.Minute), Value: 20}, {At: t0.Add(3 * time.Minute), Value: 30}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SamplesBetween = %v, want %v", got, want)
	}
	got, err = s.SamplesBetween(ctx, t0.Add(4*time.Minute), time.Time{}, "c")
	if err != nil || !reflect.DeepEqual(got, map[string][]Sample{"c": {{At: t0.Add(4 * time.Minute), Value: -1}}}) {
		t.Errorf("SamplesBetween with no end = %v, %v", got, err)
	}
	if got, err := s.SamplesBetween(ctx, time.Time{}, time.Time{}); err != nil || len(got) != 0 {
		t.Errorf("SamplesBetween of no series = %v, %v", got, err)
	}
}

// SaveReportAndSamples keeps a report and its samples together: when the
// samples cannot be written, the report is not stored either.
func TestStore_SaveReportAndSamplesIsOneTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	if err := s.SaveReportAndSamples(ctx, t0, "sys", []byte(`{"n":1}`), map[string]float64{"cpu_percent": 1, "x": math.NaN()}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`CREATE TRIGGER no_samples BEFORE INSERT ON samples BEGIN SELECT RAISE(ABORT, 'no samples'); END`); err != nil {
		t.Fatal(err)
	}
	err := s.SaveReportAndSamples(ctx, t0.Add(time.Second), "sys", []byte(`{"n":2}`), map[string]float64{"cpu_percent": 2})
	if err == nil || !strings.Contains(err.Error(), "save report") {
		t.Errorf("SaveReportAndSamples with failing samples = %v, want a save report error", err)
	}
	// Without samples it is SaveReport.
	if err := s.SaveReportAndSamples(ctx, t0.Add(2*time.Second), "sys", []byte(`{"n":3}`), nil); err != nil {
		t.Fatal(err)
	}
	recs, err := s.Reports(ctx, "sys", time.Time{}, 0)
	if err != nil || len(recs) != 2 || string(recs[0].Data) != `{"n":1}` || string(recs[1].Data) != `{"n":3}` {
		t.Errorf("Reports = %+v, %v; want n 1 and 3 (2 rolled back with its samples)", recs, err)
	}
	if got, err := s.Samples(ctx, "cpu_percent", time.Time{}); err != nil || !reflect.DeepEqual(got, []Sample{{At: t0, Value: 1}}) {
		t.Errorf("Samples = %v, %v", got, err)
	}
}

// A write-behind batch inserts its samples save by save: however many
// reports a commit holds, the inserts prepared are those of one report's
// size (here 30 rows, and 70 = 64 + 6), not one per batch size (30, 60,
// 90 = 64 + 26, … a new statement parsed every few commits).
func TestStore_batchPreparesPerSaveSize(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t, WithFlushInterval(time.Hour))
	at := t0
	want := 0
	for _, size := range []int{30, 70} {
		values := map[string]float64{}
		for i := range size {
			values[fmt.Sprintf("s%03d", i)] = float64(size)
		}
		for reports := 1; reports <= 6; reports++ {
			for range reports {
				at = at.Add(time.Second)
				if err := s.SaveReportAndSamples(ctx, at, "system", []byte("{}"), values); err != nil {
					t.Fatal(err)
				}
				want += size
			}
			s.flush(ctx) // one commit of this many reports
		}
	}
	names := make([]string, 70)
	for i := range names {
		names[i] = fmt.Sprintf("s%03d", i)
	}
	got, err := s.SamplesBetween(ctx, time.Time{}, time.Time{}, names...)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range got {
		n += len(v)
	}
	if n != want {
		t.Errorf("%d samples saved, want %d", n, want)
	}
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	var inserts []string
	for q := range s.stmts {
		if strings.HasPrefix(q, "INSERT OR REPLACE INTO samples") {
			inserts = append(inserts, fmt.Sprintf("%d rows", strings.Count(q, "(?, ?, ?)")))
		}
	}
	if len(inserts) != 3 { // 30, 64 and 6 rows
		t.Errorf("sample inserts prepared: %v; want those of 30, 64 and 6 rows", inserts)
	}
}
