package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func openFloor(t testing.TB, parts string) (*floor, string) {
	t.Helper()
	dir := t.TempDir()
	f, err := open(context.Background(), dir, parts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.close(); err != nil {
			t.Error(err)
		}
	})
	return f, dir
}

// points counts the data points of one collection.
func points(t *testing.T, rm metricdata.ResourceMetrics) int {
	t.Helper()
	n := 0
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[float64]:
				n += len(d.DataPoints)
			case metricdata.Gauge[int64]:
				n += len(d.DataPoints)
			default:
				t.Fatalf("%s: unexpected data %T", m.Name, m.Data)
			}
		}
	}
	return n
}

func TestFloor_allParts(t *testing.T) {
	f, dir := openFloor(t, "sdk,json,sqlite")
	cpus, ifaces := shape()
	if want := cpus*7 + ifaces*8 + otherPoints; len(f.series) != want {
		t.Fatalf("%d series, want %d (%d CPUs, %d interfaces)", len(f.series), want, cpus, ifaces)
	}
	ctx := context.Background()
	for range 5 {
		if err := f.collect(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := points(t, f.rm); got != len(f.series) {
		t.Errorf("the reader collected %d points, want %d", got, len(f.series))
	}

	events, err := os.Open(filepath.Join(dir, "floor-deps.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer events.Close()
	lines := 0
	for sc := bufio.NewScanner(events); sc.Scan(); lines++ {
		var r report
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %d: %v", lines+1, err)
		}
		if len(r.Figures) != figures {
			t.Errorf("line %d: %d figures, want %d", lines+1, len(r.Figures), figures)
		}
	}
	if lines != 5 {
		t.Errorf("%d lines in the events file, want 5", lines)
	}

	// The fifth collection committed the five reports and their samples
	// (reports within one millisecond share their samples' key).
	var reports, ats, rows int
	if err := f.db.QueryRow("SELECT count(*), count(DISTINCT at) FROM reports").Scan(&reports, &ats); err != nil {
		t.Fatal(err)
	}
	if err := f.db.QueryRow("SELECT count(*) FROM samples").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if reports != 5 || rows != ats*samples {
		t.Errorf("%d reports at %d times and %d samples, want 5 reports and %d samples", reports, ats, rows, ats*samples)
	}
}

func TestFloor_sdkOnly(t *testing.T) {
	f, dir := openFloor(t, "sdk")
	for range 5 {
		if err := f.collect(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := points(t, f.rm); got != len(f.series) {
		t.Errorf("the reader collected %d points, want %d", got, len(f.series))
	}
	if b, err := os.ReadFile(filepath.Join(dir, "floor-deps.jsonl")); err != nil || len(b) != 0 {
		t.Errorf("events file: %d bytes, %v; want it empty", len(b), err)
	}
	var reports int
	if err := f.db.QueryRow("SELECT count(*) FROM reports").Scan(&reports); err != nil || reports != 0 {
		t.Errorf("%d reports, %v; want none stored", reports, err)
	}
}

func TestOpen_unknownPart(t *testing.T) {
	_, err := open(context.Background(), t.TempDir(), "sdk,xml")
	if err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Fatalf("open with part xml: %v, want an error naming it", err)
	}
}

func TestOpen_dirMissing(t *testing.T) {
	_, err := open(context.Background(), filepath.Join(t.TempDir(), "missing"), "")
	if err == nil {
		t.Fatal("open in a missing directory: no error")
	}
}

// BenchmarkSDKCollect is the SDK's part of a collection alone, run back to
// back: the callback observing every point and the ManualReader's collect.
func BenchmarkSDKCollect(b *testing.B) {
	f, _ := openFloor(b, "sdk")
	ctx := context.Background()
	if err := f.collect(ctx); err != nil { // values filled once
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := f.reader.Collect(ctx, &f.rm); err != nil {
			b.Fatal(err)
		}
	}
}
