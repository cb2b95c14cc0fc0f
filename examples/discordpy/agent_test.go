package discordpy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/agent"
	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/internal/discordtest"
)

// syncWriter is the agent's console, safe for its goroutines.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// titled returns the messages with an embed whose title contains part.
func titled(msgs []discordtest.Message, part string) []discordtest.Message {
	var out []discordtest.Message
	for _, m := range msgs {
		for _, e := range m.Embeds {
			if title, _ := e["title"].(string); strings.Contains(title, part) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// TestDiscordPy_AgentReports: the example bot, live against the fake
// Discord, sends OTLP to a nexusmon agent's receiver (in this process,
// posting through a webhook of the same fake, no gateway session of its
// own). The agent's command report lists /ping and /fail with counts and
// percentiles, a command_error message reports the failure, and the system
// report's bot section shows the bot's guilds and its CPython runtime.
func TestDiscordPy_AgentReports(t *testing.T) {
	requireDiscordPy(t)
	t.Parallel()
	fast := discordtest.RouteLimit{Limit: 50, Window: time.Second}
	fake := discordtest.New(t, discordtest.WithInteractionDeadline(time.Minute),
		discordtest.WithLimit("POST /webhooks/{id}/{token}", fast),
		discordtest.WithLimit("PATCH /webhooks/{id}/{token}/messages/{id}", fast),
		discordtest.WithGuilds(twoGuilds()...))
	ch := discordtest.DefaultChannelID
	_, _, hook := fake.CreateWebhook(ch)

	dir := t.TempDir()
	cfg := config.Default()
	for _, r := range []*config.Report{&cfg.Reports.System, &cfg.Reports.Network, &cfg.Reports.Memory, &cfg.Reports.Commands, &cfg.Reports.Health} {
		r.Interval = time.Second
	}
	cfg.Reports.Commands.Interval = 2 * time.Second
	cfg.Probes.DiscordAPI = ""
	cfg.Probes.Internet = nil
	cfg.Storage.Path = filepath.Join(dir, "nexusmon.db")
	cfg.Output.JSONL = filepath.Join(dir, "events.jsonl")
	cfg.HTTP.Listen = ""
	cfg.Discord.WebhookURL = config.Secret(hook)
	cfg.Receiver.OTLP.HTTP = "127.0.0.1:0"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := agent.New(context.Background(), cfg, agent.WithStdout(&syncWriter{}),
		agent.WithEnv(func(string) (string, bool) { return "", false }))
	if err != nil {
		t.Fatalf("agent.New: %v", err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatalf("agent Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Stop(ctx); err != nil {
			t.Errorf("agent Stop: %v", err)
		}
	})
	addr := a.ReceiverAddr()
	if addr == "" {
		t.Fatal("the agent's receiver is not listening")
	}

	stop, _ := startBot(t, fake, "http://"+addr, "OTEL_METRIC_EXPORT_INTERVAL=500")
	waitFake(t, 90*time.Second, "the bot's IDENTIFY and command registration", func() bool {
		return fake.Identifies() >= 1 && len(fake.RegisteredCommands("")) == 2
	})
	pingID, _ := fake.InjectInteraction(discordtest.Interaction{GuildID: discordtest.DefaultGuildID, Command: "ping"})
	fake.InjectInteraction(discordtest.Interaction{GuildID: "1100000000000000100", Command: "fail"})
	waitFake(t, 30*time.Second, "the ping answer", func() bool { return len(fake.InteractionResponses(pingID)) > 0 })

	// The failure: a command_error message naming the command and the error.
	waitFake(t, 60*time.Second, "the command_error message for /fail", func() bool {
		return len(titled(fake.Messages(ch), "Command error · /fail")) == 1
	})
	if txt := embedJSON(titled(fake.Messages(ch), "Command error · /fail")[0]); !strings.Contains(txt, "RuntimeError") ||
		!strings.Contains(txt, "the fail command always fails") {
		t.Errorf("command_error = %s, want RuntimeError and its message", txt)
	}

	// The command report: both commands, one execution each, percentiles.
	var cmds struct {
		Data struct {
			Commands []struct {
				Name       string  `json:"name"`
				Module     string  `json:"module"`
				Executions uint64  `json:"executions"`
				Failures   uint64  `json:"failures"`
				P50MS      float64 `json:"p50_ms"`
				P95MS      float64 `json:"p95_ms"`
			} `json:"commands"`
		} `json:"data"`
	}
	waitFake(t, 60*time.Second, "a command report with ping and fail", func() bool {
		for _, m := range titled(fake.Messages(ch), "Command Performance") {
			if len(m.Files) == 0 || json.Unmarshal(m.Files[0].Data, &cmds) != nil {
				continue
			}
			if len(cmds.Data.Commands) == 2 {
				return true
			}
		}
		return false
	})
	for _, c := range cmds.Data.Commands {
		wantFail := map[string]uint64{"ping": 0, "fail": 1}
		want, known := wantFail[c.Name]
		if !known || c.Module != "Demo" || c.Executions != 1 || c.Failures != want || c.P50MS <= 0 || c.P95MS < c.P50MS {
			t.Errorf("command %+v, want ping or fail (module Demo) with 1 execution, %d failures and percentiles", c, want)
		}
	}

	// The system report's bot section: the bot's two guilds and its runtime.
	var sys struct {
		Data struct {
			BotMetrics map[string]any `json:"bot_metrics"`
			BotRuntime map[string]any `json:"bot_runtime"`
		} `json:"data"`
	}
	waitFake(t, 60*time.Second, "a system report with the bot's two guilds", func() bool {
		for _, m := range titled(fake.Messages(ch), "Detailed System Monitor") {
			if len(m.Files) == 0 || json.Unmarshal(m.Files[0].Data, &sys) != nil {
				continue
			}
			if sys.Data.BotMetrics["guilds"] == 2.0 {
				return true
			}
		}
		return false
	})
	if bm := sys.Data.BotMetrics; bm["users"] != 50.0 || bm["channels"] != 3.0 || bm["commands"] != 2.0 || bm["connected"] != true {
		t.Errorf("bot_metrics = %v, want 50 users, 3 channels, 2 commands, connected", bm)
	}
	rt := sys.Data.BotRuntime
	if gc, _ := rt["gc_collections"].(float64); rt["runtime"] != "cpython" || rt["service"] != "example-bot" || gc <= 0 {
		t.Errorf("bot_runtime = %v, want the bot's CPython runtime with its GC collections", rt)
	}
	if mem, _ := rt["memory"].(float64); mem <= 0 {
		t.Errorf("bot_runtime memory = %v, want the bot's resident set size", rt["memory"])
	}
	if err := stop(); err != nil {
		t.Errorf("example_bot.py exit after SIGTERM: %v", err)
	}
}

func embedJSON(m discordtest.Message) string {
	b, _ := json.Marshal(m.Embeds) // decoded JSON always re-marshals
	return string(b)
}
