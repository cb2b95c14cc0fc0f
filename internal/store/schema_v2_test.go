package store

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testdata/schema-v1.db was written by nexusmon before schema version 2
// (samples keyed (series, at)): 40 system reports and their samples
// (cpu_percent 10, 11, …; memory_percent 50, 51, 52, …; goroutines 30) every
// 30 s from v1Start, the alert state cpu_percent and one pending message.
var v1Start = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// copyV1 copies testdata/schema-v1.db into a fresh directory and returns the
// copy's path.
func copyV1(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "schema-v1.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "nexusmon.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// samplesKey returns the columns of the samples table's primary key, in
// key order.
func samplesKey(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.db.Query(`SELECT name, pk FROM pragma_table_info('samples') WHERE pk > 0 ORDER BY pk`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var (
			name string
			pk   int
		)
		if err := rows.Scan(&name, &pk); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return cols
}

// A database file of schema version 1 opens migrated to version 2: samples
// keyed (at, series), every row of every table kept, and the store works
// on it as on a new one.
func TestOpen_MigratesSchemaV1File(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := copyV1(t)
	logs := &logBuffer{}
	s, err := Open(ctx, path, WithLogger(logs.logger()))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	if v := s.Status().SchemaVersion; v != 2 {
		t.Errorf("SchemaVersion = %d, want 2", v)
	}
	if v := pragmaInt(t, s.db, "user_version"); v != 2 {
		t.Errorf("user_version = %d, want 2", v)
	}
	if !strings.Contains(logs.String(), "from=1 to=2") {
		t.Errorf("log %q does not say the schema went from 1 to 2", logs.String())
	}
	if got := samplesKey(t, s); !reflect.DeepEqual(got, []string{"at", "series"}) {
		t.Errorf("samples primary key = %v, want [at series]", got)
	}

	got, err := s.SamplesBetween(ctx, time.Time{}, time.Time{}, "cpu_percent", "memory_percent", "goroutines")
	if err != nil {
		t.Fatal(err)
	}
	for series, want := range map[string]func(i int) float64{
		"cpu_percent":    func(i int) float64 { return float64(10 + i) },
		"memory_percent": func(i int) float64 { return float64(50 + i%3) },
		"goroutines":     func(int) float64 { return 30 },
	} {
		if len(got[series]) != 40 {
			t.Errorf("%s: %d samples after the migration, want 40", series, len(got[series]))
			continue
		}
		for i, smp := range got[series] {
			if at := v1Start.Add(time.Duration(i) * 30 * time.Second); !smp.At.Equal(at) || smp.Value != want(i) {
				t.Errorf("%s[%d] = %+v, want %v at %v", series, i, smp, want(i), at)
			}
		}
	}
	if recs, err := s.Reports(ctx, "detailed_system_monitoring", time.Time{}, 0); err != nil || len(recs) != 40 || string(recs[39].Data) != `{"n":39}` {
		t.Errorf("Reports after the migration: %d, %v", len(recs), err)
	}
	if v, ok, err := s.Get(ctx, "alerts", "cpu_percent"); err != nil || !ok || string(v) != `{"status":"ok"}` {
		t.Errorf("Get after the migration = %q, %v, %v", v, ok, err)
	}
	if m, ok, err := s.Head(ctx, "bot"); err != nil || !ok || string(m.Body) != `{"content":"x"}` {
		t.Errorf("Head after the migration = %+v, %v, %v", m, ok, err)
	}

	// New samples go to the new table; an older time still replaces.
	at := v1Start.Add(40 * 30 * time.Second)
	if err := s.SaveReportAndSamples(ctx, at, "detailed_system_monitoring", []byte(`{"n":40}`), map[string]float64{"cpu_percent": 50}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSamples(ctx, v1Start, map[string]float64{"cpu_percent": 9}); err != nil {
		t.Fatal(err)
	}
	cpu, err := s.Samples(ctx, "cpu_percent", time.Time{})
	if err != nil || len(cpu) != 41 || cpu[0].Value != 9 || cpu[40].Value != 50 || !cpu[40].At.Equal(at) {
		t.Errorf("cpu_percent after new saves: %d samples, first %+v, last %+v, %v", len(cpu), cpu[0], cpu[len(cpu)-1], err)
	}
	if n, err := s.Prune(ctx, v1Start.Add(30*time.Second)); err != nil || n != 1+3+0 {
		t.Errorf("Prune = %d, %v; want the first report and its 3 samples", n, err)
	}
	if err := s.db.QueryRow(`PRAGMA integrity_check`).Scan(new(string)); err != nil {
		t.Error(err)
	}
}

// Opening a migrated file again does not migrate it again.
func TestOpen_SchemaV1FileMigratesOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := copyV1(t)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	s, err = Open(ctx, path, WithLogger(logs.logger()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	if strings.Contains(logs.String(), "migrated") {
		t.Errorf("second open logged %q", logs.String())
	}
	if got, err := s.Samples(ctx, "goroutines", time.Time{}); err != nil || len(got) != 40 {
		t.Errorf("goroutines: %d samples, %v; want 40", len(got), err)
	}
}
