package process

import (
	"context"
	"testing"

	"github.com/nexusmon/nexusmon/internal/metrictest"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// BenchmarkCollector measures one collection of the process instruments
// alone, of this process with a TCP listener, both ends of a loopback
// connection and a UDP socket open.
func BenchmarkCollector(b *testing.B) {
	metrictest.OpenLoopbackSockets(b)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background()) //nolint:errcheck // benchmark cleanup
	c, err := Start(mp, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Stop()                     //nolint:errcheck // benchmark cleanup
	metrictest.BenchCollect(b, reader) // the first collection reads the sockets' protocols
}
