package otlpwire

import (
	"testing"

	"github.com/nexusmon/nexusmon/internal/importcheck"
)

// TestPurity enforces doc.go: no OTLP collector package, no gRPC.
func TestPurity(t *testing.T) {
	t.Parallel()
	importcheck.Forbid(t, "go.opentelemetry.io/proto/otlp/collector", "google.golang.org/grpc",
		"github.com/grpc-ecosystem")
}
