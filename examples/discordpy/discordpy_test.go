// Package discordpy_test runs the discord.py example bot (Debian's
// python3-discord) with the nexusmon_otel cog against nexusmon's fake
// Discord, live over its gateway, and checks what the cog's standard-library
// OTLP/JSON emitter sends.
package discordpy_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/internal/discordtest"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// python is Debian's interpreter: python3-discord installs for it, whatever
// python3 comes first in PATH.
const python = "/usr/bin/python3"

// requireDiscordPy skips the test when discord.py is not installed, and
// fails it in CI (CI set), where `make test` installs it.
func requireDiscordPy(t *testing.T) {
	t.Helper()
	msg := ""
	if _, err := os.Stat(python); err != nil {
		msg = python + " is missing: install python3-discord (apt-get install -y python3-discord, or make python-deps)"
	} else if out, err := exec.Command(python, "-c", "import discord, yarl").CombinedOutput(); err != nil {
		msg = "discord.py is not importable by " + python + ": install python3-discord (apt-get install -y python3-discord, or make python-deps): " + lastLine(out)
	}
	if msg == "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// pyEnv is the environment of a Python child: this one without OTEL_*,
// DISCORD_* and proxy settings, plus extra.
func pyEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		lk := strings.ToLower(k)
		if strings.HasPrefix(k, "OTEL_") || strings.HasPrefix(k, "DISCORD_") || strings.HasPrefix(k, "PYTHON") || strings.HasSuffix(lk, "_proxy") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, append([]string{"PYTHONDONTWRITEBYTECODE=1"}, extra...)...)
}

// lockedBuffer collects a child's output for the failure message.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestPythonUnitTests(t *testing.T) {
	requireDiscordPy(t)
	t.Parallel()
	cmd := exec.Command(python, "-m", "unittest", "-v", "test_nexusmon_otel")
	cmd.Env = pyEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python unit tests: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

// startBot runs example_bot.py against fake, sending OTLP to otlp. The
// returned function stops it with SIGTERM and returns its exit error.
// Its exporter sends spans every 100 ms and metrics every 300 ms unless env
// overrides them.
func startBot(t *testing.T, fake *discordtest.Server, otlp string, env ...string) (stop func() error, logs *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, python, "example_bot.py")
	cmd.Env = pyEnv(append([]string{
		"DISCORD_TOKEN=" + fake.Token(),
		"DISCORD_API_BASE=" + fake.URL + "/api/v10",
		"DISCORD_GATEWAY_URL=" + strings.Replace(fake.URL, "http", "ws", 1) + "/ws",
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + otlp,
		"OTEL_SERVICE_NAME=example-bot",
		"OTEL_BSP_SCHEDULE_DELAY=100",
		"OTEL_METRIC_EXPORT_INTERVAL=300",
	}, env...)...)
	logs = &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start example_bot.py: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var once sync.Once
	var werr error
	stop = func() error {
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM) // it may have exited already; Wait tells
			select {
			case werr = <-done:
			case <-time.After(30 * time.Second):
				cancel()
				werr = <-done
			}
			cancel()
		})
		return werr
	}
	t.Cleanup(func() {
		_ = stop()
		if t.Failed() {
			t.Logf("example_bot.py output:\n%s", logs.String())
		}
	})
	return stop, logs
}

// twoGuilds: 2 guilds, 50 members, 3 channels.
func twoGuilds() []discordtest.Guild {
	return []discordtest.Guild{
		{ID: discordtest.DefaultGuildID, Name: "One", MemberCount: 42, Channels: []discordtest.Channel{
			{ID: discordtest.DefaultChannelID, Name: "general"}, {ID: discordtest.DefaultChannel2ID, Name: "reports"}}},
		{ID: "1100000000000000100", Name: "Two", MemberCount: 8, Channels: []discordtest.Channel{
			{ID: "1100000000000000110", Name: "general"}}},
	}
}

func TestDiscordPy_LiveGateway(t *testing.T) {
	requireDiscordPy(t)
	t.Parallel()
	fake := discordtest.New(t, discordtest.WithInteractionDeadline(time.Minute), discordtest.WithGuilds(twoGuilds()...))
	otlp := newCapture(t)
	stop, _ := startBot(t, fake, otlp.URL)

	// Ready: on_ready ran (discord.py waits for every guild's GUILD_CREATE
	// first) and the commands are registered.
	otlp.waitFor(t, 90*time.Second, "discord.gateway.ready = 1", func() bool { return lastValue(otlp, "discord.gateway.ready") == 1 })
	if got := len(fake.RegisteredCommands("")); got != 2 {
		t.Fatalf("registered global commands = %d, want 2 (ping, fail)", got)
	}

	pingID, _ := fake.InjectInteraction(discordtest.Interaction{GuildID: discordtest.DefaultGuildID, Command: "ping"})
	failID, _ := fake.InjectInteraction(discordtest.Interaction{GuildID: "1100000000000000100", Command: "fail"})
	dmID, _ := fake.InjectInteraction(discordtest.Interaction{Command: "ping", ChannelID: "1300000000000000001"})
	ping := otlp.waitSpan(t, pingID, 30*time.Second)
	fail := otlp.waitSpan(t, failID, 30*time.Second)
	dm := otlp.waitSpan(t, dmID, 30*time.Second)

	checkSpan(t, ping, map[string]string{
		"discord.command.name": "ping", "discord.command.module": "Demo", "discord.guild.id": discordtest.DefaultGuildID,
		"discord.channel.id": discordtest.DefaultChannelID, "discord.interaction.id": pingID,
	})
	if ping.Status.GetCode() != tracepb.Status_STATUS_CODE_UNSET || attrs(ping.Attributes)["error.type"] != "" {
		t.Errorf("ping: status %v, error.type %q; want unset and none", ping.Status, attrs(ping.Attributes)["error.type"])
	}
	checkSpan(t, dm, map[string]string{"discord.command.name": "ping", "discord.channel.id": "1300000000000000001"})
	if g, ok := attrs(dm.Attributes)["discord.guild.id"]; ok {
		t.Errorf("DM ping: discord.guild.id = %q, want none", g)
	}
	checkSpan(t, fail, map[string]string{
		"discord.command.name": "fail", "discord.command.module": "Demo", "discord.guild.id": "1100000000000000100",
		"discord.channel.id": "1100000000000000110", "discord.interaction.id": failID, "error.type": "RuntimeError",
	})
	if fail.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR || fail.Status.GetMessage() != "the fail command always fails" {
		t.Errorf("fail: status %v, want ERROR with the exception's message", fail.Status)
	}
	if ev := event(fail, "exception"); ev == nil || attrs(ev.Attributes)["exception.type"] != "RuntimeError" ||
		attrs(ev.Attributes)["exception.message"] != "the fail command always fails" {
		t.Errorf("fail: exception event = %v", ev)
	}
	// The first responses went to the fake: a message for ping, a defer for fail.
	for id, want := range map[string]string{pingID: `"type":4`, failID: `"type":5`} {
		rs := fake.InteractionResponses(id)
		if len(rs) == 0 || rs[0].Status != 204 || !strings.Contains(string(rs[0].PayloadJSON), want) {
			t.Errorf("interaction %s: responses %v, want a 204 callback with %s first", id, rs, want)
		}
	}
	if rs := fake.InteractionResponses(pingID); len(rs) > 0 && !strings.Contains(string(rs[0].PayloadJSON), `"allowed_mentions":{"parse":[]}`) {
		t.Errorf("ping answer %s lacks allowed_mentions with an empty parse list", rs[0].PayloadJSON)
	}

	// Session and runtime metrics.
	otlp.waitFor(t, 30*time.Second, "discord.commands = 2", func() bool { return lastValue(otlp, "discord.commands") == 2 })
	for name, want := range map[string]float64{
		"discord.guilds": 2, "discord.users": 50, "discord.channels": 3, "discord.gateway.connected": 1,
		"discord.shard.id": 0, "discord.shard.count": 1, "discord.gateway.ready": 1, "discord.gateway.reconnects": 0,
	} {
		if got := lastValue(otlp, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	gens := map[string]bool{}
	for _, p := range otlp.lastPoints("cpython.gc.collections") {
		gens[attrs(p.Attributes)["cpython.gc.generation"]] = true
	}
	if !gens["0"] || !gens["1"] || !gens["2"] {
		t.Errorf("cpython.gc.collections generations = %v, want 0, 1 and 2", gens)
	}
	for _, name := range []string{"discord.gateway.latency", "process.memory.usage", "cpython.gc.collected_objects"} {
		if len(otlp.lastPoints(name)) == 0 {
			t.Errorf("metric %s not exported", name)
		}
	}
	checkResource(t, otlp)

	// A dropped connection: discord.py resumes, and the counters say so.
	fake.DropAll()
	otlp.waitFor(t, 60*time.Second, "discord.gateway.resumes = 1", func() bool { return lastValue(otlp, "discord.gateway.resumes") == 1 })
	otlp.waitFor(t, 30*time.Second, "discord.gateway.connected = 1", func() bool { return lastValue(otlp, "discord.gateway.connected") == 1 })
	if got := lastValue(otlp, "discord.gateway.reconnects"); got != 1 || fake.Resumes() != 1 {
		t.Errorf("after one resume: discord.gateway.reconnects = %v, fake resumes = %d; want 1 and 1", got, fake.Resumes())
	}

	if err := stop(); err != nil {
		t.Errorf("example_bot.py exit after SIGTERM: %v", err)
	}
}

// TestDiscordPy_ShutdownFlushes: with export intervals of ten minutes,
// what the bot recorded still arrives when it is stopped (SIGTERM closes the
// bot, which unloads the cog, which shuts the emitter down).
func TestDiscordPy_ShutdownFlushes(t *testing.T) {
	requireDiscordPy(t)
	t.Parallel()
	fake := discordtest.New(t, discordtest.WithInteractionDeadline(time.Minute))
	otlp := newCapture(t)
	stop, _ := startBot(t, fake, otlp.URL, "OTEL_BSP_SCHEDULE_DELAY=600000", "OTEL_METRIC_EXPORT_INTERVAL=600000")
	waitFake(t, 90*time.Second, "IDENTIFY and command registration", func() bool {
		return fake.Identifies() >= 1 && len(fake.RegisteredCommands("")) == 2
	})
	id, _ := fake.InjectInteraction(discordtest.Interaction{GuildID: discordtest.DefaultGuildID, Command: "ping"})
	waitFake(t, 30*time.Second, "the ping answer", func() bool { return len(fake.InteractionResponses(id)) > 0 })
	otlp.mu.Lock()
	early := len(otlp.spans) + len(otlp.metrics)
	otlp.mu.Unlock()
	if early != 0 {
		t.Fatalf("%d exports before the stop, want none with ten-minute intervals", early)
	}

	if err := stop(); err != nil {
		t.Errorf("example_bot.py exit after SIGTERM: %v", err)
	}
	otlp.waitSpan(t, id, time.Second) // already there: the bot has exited
	if got := lastValue(otlp, "discord.guilds"); got != 1 {
		t.Errorf("discord.guilds in the last export = %v, want 1", got)
	}
}

func waitFake(t *testing.T, bound time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func checkSpan(t *testing.T, s *tracepb.Span, want map[string]string) {
	t.Helper()
	got := attrs(s.Attributes)
	if s.Name != "command "+want["discord.command.name"] {
		t.Errorf("span name %q, want %q", s.Name, "command "+want["discord.command.name"])
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: attribute %s = %q, want %q", s.Name, k, got[k], v)
		}
	}
	if s.Kind != tracepb.Span_SPAN_KIND_SERVER || len(s.TraceId) != 16 || len(s.SpanId) != 8 {
		t.Errorf("%s: kind %v, trace id %x, span id %x", s.Name, s.Kind, s.TraceId, s.SpanId)
	}
	ev := event(s, "discord.command.first_response")
	if ev == nil || ev.TimeUnixNano < s.StartTimeUnixNano || ev.TimeUnixNano > s.EndTimeUnixNano || s.EndTimeUnixNano <= s.StartTimeUnixNano {
		t.Errorf("%s: first response event %v not within the span [%d, %d]", s.Name, ev, s.StartTimeUnixNano, s.EndTimeUnixNano)
	}
}

func event(s *tracepb.Span, name string) *tracepb.Span_Event {
	for _, e := range s.Events {
		if e.Name == name {
			return e
		}
	}
	return nil
}

func checkResource(t *testing.T, c *capture) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range c.traces {
		r := attrs(rs.Resource.GetAttributes())
		if r["service.name"] != "example-bot" || r["process.runtime.name"] != "cpython" || r["telemetry.sdk.language"] != "python" || r["process.pid"] == "" {
			t.Errorf("trace resource = %v", r)
		}
	}
	for _, rm := range c.metrics {
		if r := attrs(rm.Resource.GetAttributes()); r["service.name"] != "example-bot" {
			t.Errorf("metric resource = %v", r)
		}
	}
}

// lastValue returns the value of the single point of a metric's newest
// export, or -1.
func lastValue(c *capture, name string) float64 {
	ps := c.lastPoints(name)
	if len(ps) != 1 {
		return -1
	}
	return pointValue(ps[0])
}
