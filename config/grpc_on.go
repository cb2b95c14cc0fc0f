//go:build nexusmon_grpc

package config

// GRPCBuilt reports whether this binary can export over OTLP/gRPC: this one
// was built with -tags nexusmon_grpc.
const GRPCBuilt = true
