package sdkadapter

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/nexusmon/nexusmon/report"
)

// collect returns two collections of a provider whose instruments repeat
// their attribute sets, in two scopes, with one set only in the second.
func collect(t *testing.T) (first, second *metricdata.ResourceMetrics) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() {
		if err := mp.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	ctx := context.Background()
	a, b := mp.Meter("scope.a"), mp.Meter("scope.b")
	ca, err := a.Int64Counter("c")
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.Float64Counter("c")
	if err != nil {
		t.Fatal(err)
	}
	h, err := a.Float64Histogram("h")
	if err != nil {
		t.Fatal(err)
	}
	cpu0 := metric.WithAttributes(attribute.String("cpu", "0"), attribute.String("state", "user"))
	cpu1 := metric.WithAttributes(attribute.String("cpu", "1"), attribute.String("state", "user"))
	ca.Add(ctx, 1, cpu0)
	ca.Add(ctx, 2, cpu1)
	cb.Add(ctx, 3, cpu0)
	h.Record(ctx, 0.5, cpu0)
	first = &metricdata.ResourceMetrics{}
	if err := reader.Collect(ctx, first); err != nil {
		t.Fatal(err)
	}
	ca.Add(ctx, 1, cpu0)
	ca.Add(ctx, 1, metric.WithAttributes(attribute.String("cpu", "2"), attribute.String("state", "user")))
	second = &metricdata.ResourceMetrics{}
	if err := reader.Collect(ctx, second); err != nil {
		t.Fatal(err)
	}
	return first, second
}

// The cached conversion gives the snapshots FromMetricData gives, and the
// second collection reuses the first one's map for a repeated set and scope.
func TestAttrCache_sameSnapshots(t *testing.T) {
	t.Parallel()
	first, second := collect(t)
	c := newAttrCache()
	var snaps []*report.Snapshot
	for _, rm := range []*metricdata.ResourceMetrics{first, second} {
		c.next()
		got := fromMetricData(rm, c)
		if want := FromMetricData(rm); !reflect.DeepEqual(got, want) {
			t.Fatalf("cached conversion differs:\n%+v\nwant\n%+v", got, want)
		}
		snaps = append(snaps, got)
	}
	p0 := snaps[0].Points("c", "cpu", "0", "otel.scope.name", "scope.a")
	p1 := snaps[1].Points("c", "cpu", "0", "otel.scope.name", "scope.a")
	if len(p0) != 1 || len(p1) != 1 {
		t.Fatalf("points: %+v, %+v", p0, p1)
	}
	if reflect.ValueOf(p0[0].Attrs).UnsafePointer() != reflect.ValueOf(p1[0].Attrs).UnsafePointer() {
		t.Error("a repeated set and scope got a new map")
	}
	b0 := snaps[0].Points("c", "cpu", "0", "otel.scope.name", "scope.b")
	if len(b0) != 1 || reflect.ValueOf(b0[0].Attrs).UnsafePointer() == reflect.ValueOf(p0[0].Attrs).UnsafePointer() {
		t.Errorf("the same set in another scope shares a map: %+v", b0)
	}
}

// Sets not seen in the last collection are forgotten.
func TestAttrCache_forgets(t *testing.T) {
	t.Parallel()
	c := newAttrCache()
	s1 := attribute.NewSet(attribute.String("k", "1"))
	c.next()
	m := c.attrs(s1, "s")
	c.next()
	c.next() // a collection without s1
	if c.attrs(s1, "s")["k"] != "1" || len(c.prev)+len(c.cur) != 1 {
		t.Fatalf("cache holds %d sets, want 1", len(c.prev)+len(c.cur))
	}
	if reflect.ValueOf(c.attrs(s1, "s")).UnsafePointer() == reflect.ValueOf(m).UnsafePointer() {
		t.Error("a set absent from the last collection was kept")
	}
}

// The points of every metric share one array: a metric of the same name in
// a second scope is appended to the first one's points without writing over
// the points of the metric after it.
func TestFromMetricData_sameNameInTwoScopes(t *testing.T) {
	t.Parallel()
	first, _ := collect(t)
	s := FromMetricData(first)
	h := s.Points("h")
	if len(h) != 1 || h[0].Hist == nil || h[0].Value != 0.5 || h[0].Attrs["otel.scope.name"] != "scope.a" {
		t.Errorf("h: %+v", h)
	}
	var got []string
	for _, p := range s.Points("c") {
		got = append(got, fmt.Sprintf("%s/%s=%g", p.Attrs["otel.scope.name"], p.Attrs["cpu"], p.Value))
	}
	slices.Sort(got)
	if want := []string{"scope.a/0=1", "scope.a/1=2", "scope.b/0=3"}; !slices.Equal(got, want) {
		t.Errorf("c: %v, want %v", got, want)
	}
}
