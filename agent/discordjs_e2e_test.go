package agent

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/internal/discordtest"
	"github.com/nexusmon/nexusmon/internal/nodetest"
)

// A real discord.js bot, the example of examples/discordjs, runs on the
// fake Discord and sends OTLP to the agent's receiver; the agent posts
// through a webhook and has no gateway session of its own. The bot's two
// slash commands, invoked through the fake (one succeeds, one throws),
// appear in the command report with their counts and percentiles, the
// failure as a command_error, and the bot's guild count and Node.js
// runtime in the system report.
func TestAgent_discordjsBot(t *testing.T) {
	node := nodetest.Node(t)
	dir := filepath.Join("..", "examples", "discordjs")
	nodetest.RequireModules(t, dir)

	srv := discordtest.New(t,
		discordtest.WithLimit("POST /webhooks/{id}/{token}", discordtest.RouteLimit{Limit: 50, Window: time.Second}),
		discordtest.WithLimit("PATCH /webhooks/{id}/{token}/messages/{id}", discordtest.RouteLimit{Limit: 50, Window: time.Second}),
		discordtest.WithInteractionDeadline(30*time.Second), // not under test; a loaded machine is slow
	)
	_, _, hook := srv.CreateWebhook(discordtest.DefaultChannelID)
	cfg := testConfig(t)
	cfg.Discord.WebhookURL = config.Secret(hook)
	cfg.Reports.Commands.Interval = 2 * time.Second
	cfg.Receiver.OTLP.HTTP = "127.0.0.1:0"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, _ := startAgent(t, cfg)
	addr := a.ReceiverAddr()
	if addr == "" {
		t.Fatal("the receiver is not listening")
	}

	bot := nodetest.Start(t, node, dir, nodetest.Env(
		"DISCORD_TOKEN="+srv.Token(),
		"DISCORD_API="+srv.URL+"/api",
		"OTEL_SERVICE_NAME=example-bot",
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://"+addr,
		"OTEL_METRIC_EXPORT_INTERVAL=500",
		"OTEL_BSP_SCHEDULE_DELAY=100",
	), "example-bot.js")
	t.Cleanup(func() { bot.Stop(t) }) // before the agent stops: cleanups run last first

	srv.WaitFor(t, 60*time.Second, func(r discordtest.Request) bool {
		return r.Route == "PUT /applications/{id}/commands" && r.Status == 200
	})
	srv.InjectInteraction(discordtest.Interaction{GuildID: discordtest.DefaultGuildID, Command: "ping"})
	srv.InjectInteraction(discordtest.Interaction{GuildID: discordtest.DefaultGuildID, Command: "dice", Subcommand: "roll",
		Options: map[string]any{"sides": 1}})
	ch := discordtest.DefaultChannelID

	// The failure: a command_error naming the command, its error type and message.
	const errTitle = "Command error · /dice roll"
	waitFor(t, 30*time.Second, "the command_error message", func() bool { return len(titled(srv.Messages(ch), errTitle)) == 1 })
	if txt := embedText(titled(srv.Messages(ch), errTitle)[0]); !strings.Contains(txt, "RangeError") ||
		!strings.Contains(txt, "a die needs at least 2 sides, got 1") {
		t.Errorf("command_error = %s", txt)
	}

	// The command report: both commands, with counts and percentiles.
	type command struct {
		Name       string  `json:"name"`
		Module     string  `json:"module"`
		Executions uint64  `json:"executions"`
		Failures   uint64  `json:"failures"`
		P50MS      float64 `json:"p50_ms"`
		P95MS      float64 `json:"p95_ms"`
	}
	var cmds []command
	waitFor(t, 30*time.Second, "a command report with ping and dice roll", func() bool {
		for _, m := range titled(srv.Messages(ch), "Command Performance") {
			var rep struct {
				Data struct {
					Commands []command `json:"commands"`
				} `json:"data"`
			}
			if err := json.Unmarshal(m.Files[0].Data, &rep); err != nil {
				t.Fatal(err)
			}
			if len(rep.Data.Commands) == 2 {
				cmds = rep.Data.Commands
				return true
			}
		}
		return false
	})
	seen := map[string]bool{}
	for _, c := range cmds {
		seen[c.Name] = true
		wantFail := map[string]uint64{"ping": 0, "dice roll": 1}[c.Name]
		if c.Module != "example" || c.Executions != 1 || c.Failures != wantFail || c.P50MS <= 0 || c.P95MS < c.P50MS {
			t.Errorf("command %+v, want module example, 1 execution, %d failures, percentiles", c, wantFail)
		}
	}
	if !seen["ping"] || !seen["dice roll"] {
		t.Errorf("commands %v, want ping and dice roll", cmds)
	}

	// The system report's bot section: the guild count the fake gave the bot,
	// and the bot's Node.js runtime.
	var sys struct {
		Data struct {
			BotMetrics map[string]any `json:"bot_metrics"`
			BotRuntime map[string]any `json:"bot_runtime"`
		} `json:"data"`
	}
	waitFor(t, 30*time.Second, "a system report with the bot's guilds", func() bool {
		for _, m := range titled(srv.Messages(ch), "Detailed System Monitor") {
			if err := json.Unmarshal(m.Files[0].Data, &sys); err != nil {
				t.Fatal(err)
			}
			if sys.Data.BotMetrics["guilds"] == 1.0 {
				return true
			}
		}
		return false
	})
	if sys.Data.BotMetrics["connected"] != true {
		t.Errorf("bot_metrics = %v, want connected", sys.Data.BotMetrics)
	}
	rt := sys.Data.BotRuntime
	used, _ := rt["heap_used"].(float64)
	reserved, _ := rt["heap_limit"].(float64)
	if rt["runtime"] != "nodejs" || rt["service"] != "example-bot" || used <= 0 || reserved < used {
		t.Errorf("bot_runtime = %v, want the bot's Node.js runtime with its heap used and reserved", rt)
	}
	if _, ok := rt["event_loop_delay_p99_ms"].(float64); !ok {
		t.Errorf("bot_runtime = %v, want the event-loop delay", rt)
	}
}
