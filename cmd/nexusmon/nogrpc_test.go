package main

import (
	"testing"

	"github.com/nexusmon/nexusmon/internal/importcheck"
)

// TestNoGRPC: the default build carries no gRPC (issue 14). OTLP goes out
// through nexusmon's own OTLP/HTTP exporters (internal/otlpexport); gRPC
// export and forwarding are built only with -tags nexusmon_grpc, which this
// go list (run without tags) does not set.
func TestNoGRPC(t *testing.T) {
	t.Parallel()
	importcheck.Forbid(t, "google.golang.org/grpc", "github.com/grpc-ecosystem/grpc-gateway")
}
