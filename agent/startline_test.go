package agent

import (
	"testing"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/internal/otlpexport"
)

// The start-up line names the Discord destination and the OTLP endpoint
// without a secret: no webhook URL, no user information, query or header.
func TestStartLine_noSecrets(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		d    config.Discord
		want string
	}{
		{config.Discord{Token: "tok", ChannelID: "123"}, "bot channel 123"},
		{config.Discord{WebhookURL: "https://discord.com/api/webhooks/123456789012345678/secret"}, "webhook configured"},
		{config.Discord{}, "console"},
	} {
		if got := discordDestination(c.d); got != c.want {
			t.Errorf("discordDestination(%v) = %q, want %q", c.d.Mode(), got, c.want)
		}
	}
	cfg := config.OTLP{Endpoint: "https://user:pass@otel.example.com:4318/base?key=secret", Headers: config.Headers{"Authorization": "Bearer x"}}
	if got := otlpexport.EndpointName("metrics", cfg, noEnv); got != "https://otel.example.com:4318/base" {
		t.Errorf("otlp endpoint = %q", got)
	}
	env := func(k string) (string, bool) {
		if k == "OTEL_EXPORTER_OTLP_ENDPOINT" {
			return "http://127.0.0.1:4317", true
		}
		return "", false
	}
	if got := otlpexport.EndpointName("metrics", cfg, env); got != "http://127.0.0.1:4317" {
		t.Errorf("otlp endpoint with the variable = %q, want the variable's", got)
	}
}
