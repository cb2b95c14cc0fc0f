package deliver

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/nexusmon/nexusmon/deliver/discord"
	"github.com/nexusmon/nexusmon/internal/discordtest"
	n "github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// dlvFindMetric returns the metric name of the exporter scope in rm.
func dlvFindMetric(rm metricdata.ResourceMetrics, name string) (metricdata.Metrics, bool) {
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != n.ScopeExporter {
			continue
		}
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m, true
			}
		}
	}
	return metricdata.Metrics{}, false
}

// dlvSum returns the int64 sum's value for the given attributes.
func dlvSum(t *testing.T, rm metricdata.ResourceMetrics, name string, kv ...attribute.KeyValue) int64 {
	t.Helper()
	m, ok := dlvFindMetric(rm, name)
	if !ok {
		return 0
	}
	want := attribute.NewSet(kv...)
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			if p.Attributes.Equals(&want) {
				return p.Value
			}
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			if p.Attributes.Equals(&want) {
				return p.Value
			}
		}
	default:
		t.Fatalf("%s has data %T", name, m.Data)
	}
	return 0
}

func TestDelivery_Metrics(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, dlvFastLimits()...)
	srv.Script(dlvChannelPost,
		discordtest.Reply{Status: http.StatusTooManyRequests, RetryAfter: 0.05},
		discordtest.Reply{Status: http.StatusInternalServerError},
		discordtest.Reply{},
		discordtest.Reply{Status: http.StatusForbidden, Body: `{"code":50013,"message":"Missing Permissions"}`},
	)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() {
		if err := mp.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	st, _ := dlvStore(t)
	opts := dlvOpts(nil)
	opts.MeterProvider = mp
	d, err := NewDelivery(st, dlvBot(t, srv, srv.Token(), nil), opts)
	if err != nil {
		t.Fatal(err)
	}
	dlvEnqueue(t, d, Outbound{Kind: reportdata.EventAlert, Priority: report.PriorityAlert, Payload: dlvPayload("ok", "f.json")})
	dlvEnqueue(t, d, Outbound{Kind: reportdata.EventAlert, Priority: report.PriorityAlert, Payload: dlvPayload("forbidden", "f.json")})
	dlvEnqueue(t, d, Outbound{Kind: reportdata.EventSystem, Priority: report.PriorityReport, EditKey: "k", Payload: dlvPayload("v1", "")})
	dlvEnqueue(t, d, Outbound{Kind: reportdata.EventSystem, Priority: report.PriorityReport, EditKey: "k", Payload: dlvPayload("v2", "")})

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	dest := attribute.String(n.AttrDestination, discord.DestBot)
	if got := dlvSum(t, rm, n.OutboxDepth, dest); got != 3 {
		t.Errorf("%s before start = %d, want 3", n.OutboxDepth, got)
	}

	d.Start(context.Background())
	t.Cleanup(func() {
		if err := d.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	dlvFlush(t, d, 10*time.Second)
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		kv   []attribute.KeyValue
		want int64
	}{
		{n.MessagesSent, []attribute.KeyValue{dest}, 2},
		{n.MessagesFailed, []attribute.KeyValue{dest, attribute.String(n.AttrDeliveryReason, discord.ReasonForbidden)}, 1},
		{n.MessagesDropped, []attribute.KeyValue{dest}, 1},
		{n.MessagesRateLimit, []attribute.KeyValue{dest, attribute.String(n.AttrRateLimitScope, "user")}, 1},
		{n.MessagesRetries, []attribute.KeyValue{dest}, 2},
		{n.OutboxDepth, []attribute.KeyValue{dest}, 0},
	}
	for _, c := range checks {
		if got := dlvSum(t, rm, c.name, c.kv...); got != c.want {
			t.Errorf("%s%v = %d, want %d", c.name, c.kv, got, c.want)
		}
	}
	m, ok := dlvFindMetric(rm, n.DeliveryDuration)
	if !ok {
		t.Fatalf("%s missing", n.DeliveryDuration)
	}
	h, ok := m.Data.(metricdata.Histogram[float64])
	if !ok || len(h.DataPoints) != 1 || h.DataPoints[0].Count != 2 || m.Unit != "s" {
		t.Errorf("%s = %+v (unit %q), want 2 observations in seconds", n.DeliveryDuration, m.Data, m.Unit)
	}
	if s := d.Stats(); s.Sent != 2 || s.Failed != 1 || s.Dropped != 1 || s.RateLimited != 1 || s.Retries != 2 {
		t.Errorf("Stats = %+v, disagree with the metrics", s)
	}
}
