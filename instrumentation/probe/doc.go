// Package probe measures how well the host reaches the Discord API and the
// internet: it sends HTTP GET requests to configured targets on a schedule,
// times each phase with net/http/httptrace (DNS, connect, TLS, first byte,
// total), classifies failures (timeout, dns, connect, tls, status, reset,
// other), and keeps a one-hour success ratio per target.
//
// The results are exposed in two ways: as OpenTelemetry instruments under the
// scope names.ScopeProbe (the nexusmon.probe.* metrics), and as plain values
// through Prober.Results and Prober.ProbeOnce for the network report and the
// /nexus status command.
//
// Probing happens in goroutines owned by the Prober, one per target, never
// inside an instrument callback: callbacks only read the latest results under
// a mutex. Target URLs are reported without user information, query or
// fragment, and error texts never contain them either.
//
// The package must not import health or exporter packages.
package probe
