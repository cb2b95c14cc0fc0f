//go:build !nexusmon_grpc

package config

// GRPCBuilt reports whether this binary can export over OTLP/gRPC: only a
// build with -tags nexusmon_grpc (make build-grpc) links gRPC; the default
// one exports over OTLP/HTTP only (docs/decisions.md, issue 14).
const GRPCBuilt = false
