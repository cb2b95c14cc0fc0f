package agent

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// The OTLP gRPC exporter's resolver and the SDK's exporters may leave
		// nothing behind; only the standard library's idle HTTP connections do.
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		// discordgo v0.29's reconnect loop never re-reads
		// ShouldReconnectOnError: a session already waiting in it when Stop
		// comes (a test's gateway outage) keeps retrying, its dials refused
		// locally by the stopped conntrack.Tracker. docs/decisions.md says so.
		goleak.IgnoreTopFunction("github.com/bwmarrin/discordgo.(*Session).reconnect"),
	)
}
