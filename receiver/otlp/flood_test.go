package otlp

import (
	"fmt"
	"net/http"
	"runtime"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/nexusmon/nexusmon/instrumentation/bot"
	"github.com/nexusmon/nexusmon/internal/names"
)

func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// A flood of spans with distinct commands and of points with distinct
// series keeps the state within its caps and the heap within a bound.
func TestReceiver_flood(t *testing.T) {
	in, err := bot.NewInstruments(nil, nil, bot.InstrumentOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	const maxSeries = 500
	r, _ := newReceiver(t, Options{Recorder: in, MaxSeries: maxSeries, MaxSpansPerMinute: 1 << 30, MaxPointsPerMinute: 1 << 30})
	before := heapAfterGC()

	const requests, perRequest = 500, 100 // 50,000 spans and 50,000 points
	var rejected int64
	for i := range requests {
		spans := make([]*tracepb.Span, perRequest)
		ms := make([]*metricspb.Metric, perRequest)
		for j := range spans {
			n := i*perRequest + j
			spans[j] = commandSpan(fmt.Sprint("cmd", n), fmt.Sprint("Error", n), "flood")
			ms[j] = gauge(names.DiscordGuilds, "{guild}", int64(n), str("flood", fmt.Sprint(n)))
		}
		if w := post(t, r.Handler(), "/v1/traces", protoBody(t, tracesRequest(spans...)), "Content-Type", ctProto); w.Code != http.StatusOK {
			t.Fatalf("traces: status %d", w.Code)
		}
		w := post(t, r.Handler(), "/v1/metrics", protoBody(t, metricsRequest(ms...)), "Content-Type", ctProto)
		if w.Code != http.StatusOK {
			t.Fatalf("metrics: status %d", w.Code)
		}
		rejected += int64(len(w.Body.Bytes())) // non-empty: partial_success
	}
	if n := r.state.len(); n > maxSeries {
		t.Errorf("state holds %d series, cap %d", n, maxSeries)
	}
	if rejected == 0 {
		t.Error("no metric request got a partial_success past the series cap")
	}
	after := heapAfterGC()
	grown := int64(after) - int64(before)
	t.Logf("heap %d → %d bytes (%+d) after 50,000 spans and 50,000 points; %d series", before, after, grown, r.state.len())
	// 500 series of a few hundred bytes, 200 commands with their SDK-side
	// options: well under 4 MiB. Unbounded, 50,000 of each is tens of MiB.
	if grown > 4<<20 {
		t.Errorf("heap grew by %d bytes, want at most 4 MiB", grown)
	}
	runtime.KeepAlive(r)
}

// Series not updated for StaleAfter are no longer reported, and make room
// for new ones.
func TestReceiver_stale(t *testing.T) {
	t.Parallel()
	now := t0
	r, _ := newReceiver(t, Options{MaxSeries: 1, Now: func() time.Time { return now }})
	send := func(v int64, attr string) int {
		w := post(t, r.Handler(), "/v1/metrics", protoBody(t, metricsRequest(gauge(names.DiscordGuilds, "{guild}", v, str("k", attr)))), "Content-Type", ctProto)
		return len(w.Body.Bytes())
	}
	send(1, "a")
	if n := send(2, "b"); n == 0 {
		t.Error("a second series past max_series was accepted")
	}
	now = now.Add(StaleAfter + time.Second)
	if pts := r.Points(nil); len(pts) != 0 {
		t.Errorf("stale points reported: %+v", pts)
	}
	if n := send(3, "b"); n != 0 {
		t.Error("a new series was refused though the old one is stale")
	}
	if pts := r.Points(nil); len(pts) != 1 || pts[0].Value != 3 {
		t.Errorf("points = %+v, want the new series", pts)
	}
}

// BenchmarkReceiver_traces is one 100-span protobuf request (command spans,
// as a busy bot's batch) through the handler.
func BenchmarkReceiver_traces(b *testing.B) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	in, err := bot.NewInstruments(mp, nil, bot.InstrumentOptions{OnError: func(bot.ErrorEvent) {}})
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	r, _ := newReceiver(b, Options{Recorder: in, MaxSpansPerMinute: 1 << 30, MeterProvider: mp})
	spans := make([]*tracepb.Span, 100)
	for i := range spans {
		errType := ""
		if i%10 == 0 {
			errType = "TypeError"
		}
		spans[i] = commandSpan(fmt.Sprint("cmd", i%20), errType, "x is not a function")
	}
	body := protoBody(b, tracesRequest(spans...))
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if w := post(b, r.Handler(), "/v1/traces", body, "Content-Type", ctProto); w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
