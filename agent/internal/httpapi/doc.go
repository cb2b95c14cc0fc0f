// Package httpapi owns the agent's HTTP listener (http.listen): / names the
// endpoints, /metrics is the Prometheus exposition, /healthz the agent's
// state, POST /-/reload reloads the configuration as SIGHUP does, and
// /debug/pprof/ serves the runtime's profiles to loopback clients when
// http.pprof is on (pprof.go).
//
// It takes what it needs from the agent as function values (Deps). It must
// not import package agent (which imports it), net/http/pprof (whose import
// registers handlers on http.DefaultServeMux, which a Go bot embedding the
// agent may serve publicly), the store (only internal/storeapi's Status),
// report/build, render, deliver, instrumentation or the OTel SDK
// (TestPurity). Only agent imports it.
package httpapi
