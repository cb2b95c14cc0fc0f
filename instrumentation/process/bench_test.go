package process

import (
	"context"
	"net"
	"testing"

	"github.com/nexusmon/nexusmon/internal/metrictest"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// BenchmarkCollector measures one collection of the process instruments
// alone, of this process with a TCP listener, both ends of a loopback
// connection and a UDP socket open.
func BenchmarkCollector(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close() // loopback listener of this benchmark; nothing to flush
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close() // as above
	server, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer server.Close() // as above
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer udp.Close() // as above

	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background()) //nolint:errcheck // benchmark cleanup
	c, err := Start(mp, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Stop() //nolint:errcheck // benchmark cleanup
	ctx := context.Background()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil { // the sockets' protocols, read once
		b.Fatal(err)
	}
	b.ReportAllocs()
	before := metrictest.CPUTime(b)
	for b.Loop() {
		if err := reader.Collect(ctx, &rm); err != nil {
			b.Fatal(err)
		}
	}
	// CPU time, not wall time: on a shared machine ns/op also counts time
	// spent waiting for a core.
	b.ReportMetric(float64((metrictest.CPUTime(b)-before).Nanoseconds())/float64(b.N), "cpu-ns/op")
}
