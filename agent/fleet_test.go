package agent

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"go.opentelemetry.io/otel/attribute"

	"github.com/nexusmon/nexusmon/internal/otelcoltest"
)

// TestNew_fleetResource: fleet.instance and fleet.shard go on the resource
// (and so on /metrics' target_info); without fleet.shard a session given
// with WithSession gives its shard when it is sharded; the variables win.
func TestNew_fleetResource(t *testing.T) {
	sharded := func(id, count int) *discordgo.Session {
		s, err := discordgo.New("Bot test-token")
		if err != nil {
			t.Fatal(err)
		}
		s.ShardID, s.ShardCount = id, count
		return s
	}
	for _, tc := range []struct {
		name           string
		instance       string
		shard          *int
		session        *discordgo.Session
		env            map[string]string
		wantID, wantSh string // "" when the attribute must be absent
		wantLog        string
	}{
		{name: "defaults"},
		{name: "instance and shard", instance: "fleetbot-3", shard: ptr(3), wantID: "fleetbot-3", wantSh: "3"},
		{name: "shard 0", shard: ptr(0), wantSh: "0"},
		{name: "sharded session", session: sharded(5, 8), wantSh: "5"},
		{name: "fleet.shard over the session", shard: ptr(2), session: sharded(5, 8), wantSh: "2"},
		{name: "unsharded session", session: sharded(0, 1)},
		{name: "variables win", instance: "fleetbot-3", shard: ptr(3),
			env:    map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "service.instance.id=env-9,discord.shard.id=9"},
			wantID: "env-9", wantSh: "9", wantLog: "it wins over fleet.instance"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.Fleet.Instance, cfg.Fleet.Shard = tc.instance, tc.shard
			logs := &syncBuffer{}
			opts := []Option{WithEnv(envMap(tc.env)), WithStdout(&syncBuffer{}), WithLogger(slog.New(slog.NewTextHandler(logs, nil)))}
			if tc.session != nil {
				opts = append(opts, WithSession(tc.session), WithoutCommandRegistration())
			}
			a, err := New(context.Background(), cfg, opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer stopAgent(t, a)
			page := scrapeHandler(t, a.MetricsHandler())
			for _, c := range []struct{ key, label, want string }{
				{"service.instance.id", "service_instance_id", tc.wantID},
				{"discord.shard.id", "discord_shard_id", tc.wantSh},
			} {
				v, ok := a.res.Set().Value(attribute.Key(c.key))
				switch {
				case c.want == "" && ok:
					t.Errorf("resource has %s=%q, want none", c.key, v.String())
				case c.want != "" && v.String() != c.want:
					t.Errorf("resource %s = %q (set %v), want %q", c.key, v.String(), ok, c.want)
				}
				if c.want != "" && !strings.Contains(page, c.label+`="`+c.want+`"`) {
					t.Errorf("/metrics target_info lacks %s=%q", c.label, c.want)
				}
			}
			if tc.wantLog != "" && !strings.Contains(logs.String(), tc.wantLog) {
				t.Errorf("log lacks %q:\n%s", tc.wantLog, logs)
			}
		})
	}
}

// TestAgent_fleetResourceOverOTLP: what the agent exports to a (real)
// Collector carries the instance and shard a fleet gateway tells
// instances apart by.
func TestAgent_fleetResourceOverOTLP(t *testing.T) {
	c := otelcoltest.Start(t)
	cfg := testConfig(t)
	cfg.OTLP.Endpoint = "http://" + c.HTTPEndpoint
	cfg.OTLP.Protocol = "http/protobuf"
	cfg.OTLP.Interval = time.Second
	cfg.OTLP.ServiceName = "fleetbot"
	cfg.Fleet.Instance = "fleetbot-4"
	cfg.Fleet.Shard = ptr(4)
	startAgent(t, cfg)
	m := c.WaitForMetric(t, "process.memory.usage", 60*time.Second)
	if m.Resource["service.instance.id"] != "fleetbot-4" || m.Resource["discord.shard.id"] != "4" || m.Resource["service.name"] != "fleetbot" {
		t.Errorf("exported resource = %v, want service.instance.id fleetbot-4, discord.shard.id 4", m.Resource)
	}
}

func ptr[T any](v T) *T { return &v }

// TestNew_fleetModeLogLine: OTLP on, no Discord destination and an instance
// id: the log says the agent is one instance of a fleet; with a Discord
// destination, or without an instance or shard, it does not.
func TestNew_fleetModeLogLine(t *testing.T) {
	for _, tc := range []struct {
		name    string
		webhook bool
		fleet   bool
		want    bool
	}{
		{name: "fleet", fleet: true, want: true},
		{name: "no instance"},
		{name: "own destination", fleet: true, webhook: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.OTLP.Endpoint = "http://127.0.0.1:1" // New does not connect
			cfg.OTLP.Insecure = true
			if tc.fleet {
				cfg.Fleet.Instance = "fleetbot-1"
			}
			if tc.webhook {
				cfg.Discord.WebhookURL = "http://127.0.0.1:1/api/webhooks/123456789012345678/x"
			}
			logs := &syncBuffer{}
			a, err := New(context.Background(), cfg, WithEnv(noEnv), WithStdout(&syncBuffer{}), WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
			if err != nil {
				t.Fatal(err)
			}
			defer stopAgent(t, a)
			got := strings.Contains(logs.String(), `msg="fleet mode: no Discord destination, the fleet gateway posts for this instance" service.instance.id=fleetbot-1 discord.shard.id="(from the discord.shard.id gauge)"`)
			if got != tc.want {
				t.Errorf("fleet mode line logged = %v, want %v:\n%s", got, tc.want, logs)
			}
		})
	}
}
