package store

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// BenchmarkEnqueueAck measures one message's way through the outbox: persist,
// read the head, delete.
func BenchmarkEnqueueAck(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	body := bytes.Repeat([]byte(`{"embeds":[{"title":"x"}]}`), 80) // about 2 KiB, a typical report message
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.Enqueue(ctx, Message{Dest: "bot", Priority: 1, Kind: "detailed_system_monitoring", Body: body}); err != nil {
			b.Fatal(err)
		}
		m, ok, err := s.Head(ctx, "bot")
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
		if err := s.Ack(ctx, m.ID); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSaveReport(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	data := bytes.Repeat([]byte(`{"cpu":{"percent":12.5}}`), 160) // about 4 KiB of report data
	at := t0
	b.ReportAllocs()
	for b.Loop() {
		at = at.Add(time.Second)
		if err := s.SaveReport(ctx, at, "detailed_system_monitoring", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSaveSamples(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	values := map[string]float64{
		"cpu_percent": 12.5, "memory_percent": 40.25, "latency_ms": 87, "disk_percent": 63.1, "goroutines": 42,
	}
	at := t0
	b.ReportAllocs()
	for b.Loop() {
		at = at.Add(time.Second)
		if err := s.SaveSamples(ctx, at, values); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSaveReportAndSamples measures the store's share of one system
// report: its data (about 1.7 KiB) and its seven samples.
func BenchmarkSaveReportAndSamples(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	data := bytes.Repeat([]byte(`{"cpu":{"percent":12.5}}`), 70)
	values := map[string]float64{
		"cpu_percent": 12.5, "memory_percent": 40.25, "disk_percent": 63.1, "swap_percent": 0,
		"process_rss_bytes": 17 << 20, "heap_alloc_bytes": 3 << 20, "goroutines": 42,
	}
	at := t0
	b.ReportAllocs()
	for b.Loop() {
		at = at.Add(time.Second)
		if err := s.SaveReportAndSamples(ctx, at, "detailed_system_monitoring", data, values); err != nil {
			b.Fatal(err)
		}
	}
}
