package host

import (
	"context"
	"testing"

	"github.com/nexusmon/nexusmon/internal/metrictest"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// BenchmarkCollect measures one collection of the host instruments alone,
// reading this machine's /proc and /sys, after a first collection that
// lists the mounts, block devices and CPU counts (re-read once a minute).
func BenchmarkCollect(b *testing.B) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background()) //nolint:errcheck // benchmark cleanup
	c, err := Start(mp, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Stop() //nolint:errcheck // benchmark cleanup
	metrictest.BenchCollect(b, reader)
}
