package agent

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/nexusmon/nexusmon/instrumentation/bot"
	"github.com/nexusmon/nexusmon/internal/discordtest"
	"github.com/nexusmon/nexusmon/internal/otelcoltest"
)

// envMap is an environment for WithEnv.
func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func requireMetrics(t *testing.T, c *otelcoltest.Collector, names ...string) {
	t.Helper()
	for _, n := range names {
		m := c.WaitForMetric(t, n, 60*time.Second)
		if m.Resource["service.name"] == "" || m.Resource["host.name"] == "" {
			t.Errorf("%s: resource lacks service.name/host.name: %v", n, m.Resource)
		}
	}
}

func TestAgent_otlpHTTPFromEnvironment(t *testing.T) {
	c := otelcoltest.Start(t)
	cfg := testConfig(t)
	// The exporters and the SDK read the standard variables themselves.
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+c.HTTPEndpoint)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_METRIC_EXPORT_INTERVAL", "1000")
	t.Setenv("OTEL_SERVICE_NAME", "nexusmon-env-test")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=ci")
	out := &syncBuffer{}
	a, err := New(t.Context(), cfg, WithStdout(out)) // the real environment
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopAgent(t, a) })
	m := c.WaitForMetric(t, "system.memory.usage", 60*time.Second)
	if m.Resource["service.name"] != "nexusmon-env-test" || m.Resource["deployment.environment.name"] != "ci" {
		t.Errorf("resource = %v, want OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES applied", m.Resource)
	}
	requireMetrics(t, c, "process.thread.count", "go.memory.gc.cycles")
}

func TestAgent_otlpCollectorDownThenBack(t *testing.T) {
	c := otelcoltest.Start(t)
	c.Stop(t) // down at start: same ports, nothing listening
	cfg := testConfig(t)
	cfg.OTLP.Endpoint = "http://" + c.HTTPEndpoint
	cfg.OTLP.Protocol = "http/protobuf"
	cfg.OTLP.Interval = time.Second
	cfg.OTLP.Timeout = time.Second
	a, _ := startAgent(t, cfg)

	// Discord reporting (here: the events file) goes on while the backend is down,
	// and the failures are counted.
	waitEvents(t, cfg.Output.JSONL, 30*time.Second, func(e []map[string]any) bool {
		return len(eventsOf(e, "detailed_system_monitoring")) >= 3
	})
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(httpGet(t, "http://"+a.HTTPAddr()+"/metrics"), `nexusmon_export_errors_total{nexusmon_export_backend="otlp_metrics"`) {
		if time.Now().After(deadline) {
			t.Fatal("OTLP export failures are not counted on /metrics")
		}
		time.Sleep(200 * time.Millisecond)
	}

	c.Restart(t)
	requireMetrics(t, c, "system.cpu.time", "process.memory.usage")

	// Killed mid-run and back again: export resumes.
	c.Stop(t)
	n := len(eventsOf(readEvents(t, cfg.Output.JSONL), "detailed_system_monitoring"))
	waitEvents(t, cfg.Output.JSONL, 30*time.Second, func(e []map[string]any) bool {
		return len(eventsOf(e, "detailed_system_monitoring")) >= n+2
	})
	c.Restart(t)
	before := len(c.Metrics(t))
	deadline = time.Now().Add(60 * time.Second)
	for len(c.Metrics(t)) <= before {
		if time.Now().After(deadline) {
			t.Fatal("export did not resume after the collector came back")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestAgent_otlpCommandSpansExemplarsAndDiscordMetrics(t *testing.T) {
	c := otelcoltest.Start(t)
	srv := fakeDiscord(t)
	cfg := botConfig(t, srv)
	// OTLP/JSON: trace and span ids (of spans and exemplars) go as hex.
	cfg.OTLP.Endpoint = "http://" + c.HTTPEndpoint
	cfg.OTLP.Protocol = "http/json"
	cfg.OTLP.Interval = time.Second
	a, err := New(t.Context(), cfg, WithEnv(noEnv), WithStdout(&syncBuffer{}))
	if err != nil {
		t.Fatal(err)
	}
	err = a.Router().Add(bot.Module{Name: "fun", Commands: []bot.Command{{
		Definition: &discordgo.ApplicationCommand{Name: "ping", Description: "answers pong"},
		Handler: func(c *bot.Context) error {
			return c.Respond(&discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
				Data: &discordgo.InteractionResponseData{Content: "pong", AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}}})
		},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopAgent(t, a) })
	waitFor(t, 20*time.Second, "command registration", func() bool { return len(srv.RegisteredCommands(discordtest.DefaultGuildID)) == 2 })
	id, _ := srv.InjectInteraction(discordtest.Interaction{GuildID: discordtest.DefaultGuildID, ChannelID: discordtest.DefaultChannelID,
		UserID: "1000000000000000001", Command: "ping"})

	span := c.WaitForSpan(t, "command ping", 60*time.Second)
	if span.Kind != "server" || span.Attrs["discord.command.name"] != "ping" || span.Attrs["discord.command.module"] != "fun" ||
		span.Attrs["discord.guild.id"] != discordtest.DefaultGuildID || span.Attrs["discord.interaction.id"] != id {
		t.Errorf("span = %+v", span)
	}
	if _, ok := span.Attrs["discord.user.id"]; ok {
		t.Error("the user id is on the span although record_user_ids is off")
	}
	if span.Resource["service.name"] == "" {
		t.Errorf("span resource = %v", span.Resource)
	}
	deadline := time.Now().Add(60 * time.Second)
	for found := false; !found; {
		for _, m := range c.Metrics(t) {
			if m.Name != "discord.command.duration" {
				continue
			}
			for _, p := range m.Points {
				for _, e := range p.Exemplars {
					found = found || e.TraceID == span.TraceID
				}
			}
		}
		if !found && time.Now().After(deadline) {
			t.Fatal("no discord.command.duration exemplar carries the span's trace id")
		}
		time.Sleep(200 * time.Millisecond)
	}
	requireMetrics(t, c, "discord.gateway.connected", "discord.guilds", "discord.users", "discord.channels", "discord.rest.request.duration", "discord.command.invocations")

	// Prometheus serves the same exemplar when scraped in OpenMetrics format.
	req, err := http.NewRequest(http.MethodGet, "http://"+a.HTTPAddr()+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close() // best effort
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `trace_id="`+span.TraceID+`"`) {
		t.Errorf("/metrics (OpenMetrics) has no exemplar with trace id %s", span.TraceID)
	}
}

func TestAgent_otlpHTTPFromConfig(t *testing.T) {
	c := otelcoltest.Start(t)
	cfg := testConfig(t)
	cfg.OTLP.Endpoint = "http://" + c.HTTPEndpoint // /v1/metrics is appended, as for the variable
	cfg.OTLP.Protocol = "http/protobuf"
	cfg.OTLP.Interval = time.Second
	cfg.OTLP.Headers = map[string]string{"X-Test": "secret-header-value"}
	startAgent(t, cfg)
	requireMetrics(t, c, "system.memory.usage", "process.thread.count")
}
