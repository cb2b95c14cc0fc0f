package sdkadapter

import (
	"context"
	"strconv"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
)

// conversionAllocs is the allocation budget of converting one collection
// shaped like the system reader's (hostCollection) with the reader's
// attribute cache warm. Today: 16 (6 of them the histogram's two points),
// 142 before the points of every metric shared one array and the metrics'
// records another (and their map was made for them). The budget leaves
// about 10 % for Go and SDK versions.
const conversionAllocs = 18

// hostCollection returns a collection shaped like the system reader's: 60
// metrics in two scopes, per-core CPU times (2 cores × 8 modes), ten
// metrics of two devices × two directions, 48 of one point, and a
// histogram of two attribute sets.
func hostCollection(tb testing.TB) *metricdata.ResourceMetrics {
	tb.Helper()
	reader := sdkmetric.NewManualReader()
	res := resource.NewSchemaless(attribute.String("host.name", "host-1"), attribute.String("service.name", "nexusmon"), attribute.Int("process.pid", 4242))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithResource(res))
	tb.Cleanup(func() {
		if err := mp.Shutdown(context.Background()); err != nil {
			tb.Error(err)
		}
	})
	ctx := context.Background()
	host, rt := mp.Meter("nexusmon/host"), mp.Meter("nexusmon/runtime")
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	cpu, err := host.Float64Counter("system.cpu.time")
	must(err)
	for _, core := range []string{"0", "1"} {
		for _, mode := range []string{"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"} {
			cpu.Add(ctx, 12.5, metric.WithAttributes(attribute.String("cpu.logical_number", core), attribute.String("cpu.mode", mode)))
		}
	}
	for i := range 10 {
		c, err := host.Int64Counter("system.device.counter." + strconv.Itoa(i))
		must(err)
		for _, dev := range []string{"eth0", "lo"} {
			for _, dir := range []string{"transmit", "receive"} {
				c.Add(ctx, 1000, metric.WithAttributes(attribute.String("network.interface.name", dev), attribute.String("network.io.direction", dir)))
			}
		}
	}
	for i := range 48 {
		m := host
		if i%2 == 1 {
			m = rt
		}
		g, err := m.Int64Gauge("system.gauge." + strconv.Itoa(i))
		must(err)
		g.Record(ctx, int64(i))
	}
	h, err := host.Float64Histogram("nexusmon.probe.duration")
	must(err)
	for _, target := range []string{"https://discord.com/api/v10/gateway", "https://1.1.1.1"} {
		h.Record(ctx, 0.21, metric.WithAttributes(attribute.String("nexusmon.probe.target", target)))
	}
	rm := &metricdata.ResourceMetrics{}
	must(reader.Collect(ctx, rm))
	return rm
}

func TestFromMetricData_allocBudget(t *testing.T) {
	rm := hostCollection(t)
	c := newAttrCache()
	c.next()
	fromMetricData(rm, c) // the cache holds the collection's sets
	allocs := testing.AllocsPerRun(50, func() {
		c.next()
		fromMetricData(rm, c)
	})
	t.Logf("one conversion: %.0f allocations (budget %d)", allocs, conversionAllocs)
	if allocs > conversionAllocs {
		t.Errorf("converting one collection allocates %.0f times, over its budget of %d: find the new allocations (go test -run '^$' -bench BenchmarkFromMetricData -memprofile) or, when they are needed, raise the budget with the reason", allocs, conversionAllocs)
	}
}

// BenchmarkFromMetricData converts one system-reader-shaped collection
// as a reader's exporter does, its attribute cache warm.
func BenchmarkFromMetricData(b *testing.B) {
	rm := hostCollection(b)
	c := newAttrCache()
	b.ReportAllocs()
	for b.Loop() {
		c.next()
		fromMetricData(rm, c)
	}
}
