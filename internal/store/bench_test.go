package store

import (
	"bytes"
	"context"
	"fmt"
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

// BenchmarkSaveSystemReport measures the store's share of one system report
// as the agent makes them (about 2.3 KB of JSON data and 30 samples), with
// every report committed on its own (flush=0s) and with write-behind at one
// report a second and storage.flush_interval 5s (flush=5s: five reports a
// commit, the commit's cost shared by them).
func BenchmarkSaveSystemReport(b *testing.B) {
	var data bytes.Buffer
	data.WriteString(`{"cpu":{"percent":25.0,"per_core":[`)
	for i := range 32 {
		fmt.Fprintf(&data, `%s{"core":%d,"percent":%.1f,"mhz":%d}`, map[bool]string{true: ",", false: ""}[i > 0], i, 12.5+float64(i), 2300+i)
	}
	data.WriteString(`],"load":[0.52,0.48,0.40]},"memory":{"used_bytes":3543348019,"total_bytes":8589934592,"available_bytes":5046586573,"cached_bytes":1288490188,"percent":41.0},`)
	data.WriteString(`"swap":{"used_bytes":0,"total_bytes":2147483648,"percent":0},"disks":[`)
	for i := range 4 {
		fmt.Fprintf(&data, `%s{"mount":"/mnt/volume-%d","used_bytes":%d,"total_bytes":%d,"percent":%.1f}`, map[bool]string{true: ",", false: ""}[i > 0], i, 40<<30+i, 100<<30, 40.0+float64(i))
	}
	data.WriteString(`],"process":{"pid":4242,"rss_bytes":17825792,"cpu_percent":1.5,"threads":12,"open_files":31,"heap_alloc_bytes":3145728,"goroutines":42,"gc_pause_ns":125000},`)
	data.WriteString(`"network":[{"interface":"eth0","rx_bytes_per_second":125000.5,"tx_bytes_per_second":98000.25,"errors":0},{"interface":"lo","rx_bytes_per_second":1024,"tx_bytes_per_second":1024,"errors":0}],`)
	data.WriteString(`"host":{"name":"bot-host-1","uptime_seconds":864000,"kernel":"6.8.0-45-generic","os":"linux"}}`)
	if n := data.Len(); n < 2200 || n > 2400 {
		b.Fatalf("report data is %d bytes, want about 2.3 KB", n)
	}
	values := map[string]float64{}
	for i := range 30 {
		values[fmt.Sprintf("series_%02d", i)] = float64(i) * 1.25
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		interval time.Duration
		per      int // reports per commit
	}{{"flush=0s", 0, 1}, {"flush=5s", 5 * time.Second, 5}} {
		b.Run(tc.name, func(b *testing.B) {
			s := openTest(b, WithFlushInterval(tc.interval))
			at, n := t0, 0
			b.SetBytes(int64(data.Len()))
			b.ReportAllocs()
			for b.Loop() {
				at = at.Add(time.Second)
				if err := s.SaveReportAndSamples(ctx, at, "detailed_system_monitoring", data.Bytes(), values); err != nil {
					b.Fatal(err)
				}
				if n++; n%tc.per == 0 {
					s.flush(ctx) // what the timer does after interval at one report a second
				}
			}
		})
	}
}
