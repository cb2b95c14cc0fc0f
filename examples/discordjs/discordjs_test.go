// Package discordjs_test runs the discord.js example bot (example-bot.js,
// with this directory's @nexusmon/discordjs-otel module) against the fake
// Discord of internal/discordtest and checks the OTLP it sends.
package discordjs_test

import (
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/internal/discordtest"
	"github.com/nexusmon/nexusmon/internal/nodetest"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// The fixture's guilds: the bot's guild count, users and channels must come
// out of the bot's metrics as they went into the fake's GUILD_CREATEs.
var guilds = []discordtest.Guild{
	{ID: discordtest.DefaultGuildID, Name: "Test Guild", MemberCount: 42, Channels: []discordtest.Channel{
		{ID: discordtest.DefaultChannelID, Name: "general"},
		{ID: discordtest.DefaultChannel2ID, Name: "nexus-reports"},
	}},
	{ID: "1100000000000000100", Name: "Second Guild", MemberCount: 7, Channels: []discordtest.Channel{
		{ID: "1100000000000000110", Name: "lobby"},
	}},
}

// startBot starts example-bot.js against fake, exporting to endpoint with
// protocol. Metric and span exports are an hour apart, so everything the
// test sees was flushed by the bot's shutdown.
func startBot(t *testing.T, node string, fake *discordtest.Server, endpoint, protocol string, env ...string) *nodetest.Process {
	t.Helper()
	return nodetest.Start(t, node, ".", nodetest.Env(append([]string{
		"DISCORD_TOKEN=" + fake.Token(),
		"DISCORD_API=" + fake.URL + "/api",
		"OTEL_SERVICE_NAME=example-bot",
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + endpoint,
		"OTEL_EXPORTER_OTLP_PROTOCOL=" + protocol,
		"OTEL_METRIC_EXPORT_INTERVAL=3600000",
		"OTEL_BSP_SCHEDULE_DELAY=3600000",
	}, env...)...), "example-bot.js")
}

func TestExampleBot(t *testing.T) {
	node := nodetest.Node(t)
	nodetest.RequireModules(t, ".")
	for _, protocol := range []string{"http/protobuf", "http/json"} {
		t.Run(strings.ReplaceAll(protocol, "/", "_"), func(t *testing.T) {
			t.Parallel()
			testExampleBot(t, node, protocol)
		})
	}
	// With nothing listening at the endpoint the last export fails: the bot
	// says so and still stops cleanly.
	t.Run("receiver_down", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		endpoint := "http://" + ln.Addr().String()
		if err := ln.Close(); err != nil {
			t.Fatal(err)
		}
		fake := discordtest.New(t)
		b := startBot(t, node, fake, endpoint, "http/protobuf", "OTEL_EXPORTER_OTLP_TIMEOUT=2000")
		fake.WaitFor(t, 60*time.Second, func(r discordtest.Request) bool {
			return r.Route == "PUT /applications/{id}/commands" && r.Status == 200
		})
		b.Stop(t)
		if out := b.Output(); !strings.Contains(out, "discordjs-otel: metrics export failed: ") {
			t.Errorf("the bot did not log the failed export:\n%s", out)
		}
	})
}

func testExampleBot(t *testing.T, node, protocol string) {
	// The 3 s interaction deadline is not under test here: a loaded machine gets 30 s.
	fake := discordtest.New(t, discordtest.WithGuilds(guilds...), discordtest.WithHeartbeatInterval(100*time.Millisecond),
		discordtest.WithInteractionDeadline(30*time.Second))
	otlp := newCapture(t)
	b := startBot(t, node, fake, otlp.URL, protocol)

	// Ready: the bot registers its commands from its ClientReady handler.
	fake.WaitFor(t, 60*time.Second, func(r discordtest.Request) bool {
		return r.Route == "PUT /applications/{id}/commands" && r.Status == 200
	})
	pingID, _ := fake.InjectInteraction(discordtest.Interaction{GuildID: guilds[0].ID, Command: "ping"})
	diceID, _ := fake.InjectInteraction(discordtest.Interaction{GuildID: guilds[1].ID, Command: "dice", Subcommand: "roll",
		Options: map[string]any{"sides": 1}})
	dmID, _ := fake.InjectInteraction(discordtest.Interaction{Command: "ping", ChannelID: "1300000000000000001"})
	pingReply := waitCallback(t, fake, pingID)
	diceReply := waitCallback(t, fake, diceID)
	waitCallback(t, fake, dmID)
	if c, _ := pingReply["data"].(map[string]any)["content"].(string); pingReply["type"] != 4.0 || !strings.HasPrefix(c, "pong") {
		t.Errorf("/ping answered %v, want a type 4 reply starting with pong", pingReply)
	}
	if d, _ := diceReply["data"].(map[string]any); diceReply["type"] != 4.0 || d["content"] != "Something went wrong." || d["flags"] != 64.0 {
		t.Errorf("/dice roll answered %v, want the ephemeral error reply of onError", diceReply)
	}

	// A dropped connection: discord.js reconnects and resumes the session.
	fake.DropAll()
	waitUntil(t, "the bot resumed", func() bool { return fake.Resumes() == 1 })
	// A heartbeat is only sent once the previous one was acknowledged: two
	// heartbeats after the resume mean the bot has measured its latency on
	// the new connection.
	beats := fake.Heartbeats()
	waitUntil(t, "two heartbeats after the resume", func() bool { return fake.Heartbeats() >= beats+2 })
	b.Stop(t)

	if out := b.Output(); strings.Contains(out, "export failed") {
		t.Errorf("the bot logged a failed export:\n%s", out)
	}
	rs, rm, cts, errs := otlp.snapshot()
	for _, err := range errs {
		t.Errorf("OTLP request: %v", err)
	}
	wantCT := map[string]string{"http/protobuf": "application/x-protobuf", "http/json": "application/json"}[protocol]
	if len(cts) != 1 || !cts[wantCT] {
		t.Errorf("content types = %v, want only %s", cts, wantCT)
	}
	pid := int64(b.Pid())

	t.Run("spans", func(t *testing.T) {
		var spans []*tracepb.Span
		for _, r := range rs {
			checkResource(t, r.Resource, pid)
			for _, ss := range r.ScopeSpans {
				if ss.Scope.GetName() != "@nexusmon/discordjs-otel" {
					t.Errorf("scope = %q", ss.Scope.GetName())
				}
				spans = append(spans, ss.Spans...)
			}
		}
		// By interaction id: one span per invocation.
		byID := map[string]*tracepb.Span{}
		for _, s := range spans {
			id := str(attr(s.Attributes, "discord.interaction.id"))
			if byID[id] != nil {
				t.Errorf("two spans for interaction %q", id)
			}
			byID[id] = s
		}
		if len(spans) != 3 {
			t.Errorf("got %d spans, want 3 (two /ping, one /dice roll)", len(spans))
		}
		for _, c := range []struct{ id, guild, channel string }{
			{pingID, guilds[0].ID, guilds[0].Channels[0].ID},
			{dmID, "", "1300000000000000001"},
		} {
			ping := byID[c.id]
			if ping == nil {
				t.Fatalf("no span for /ping %s", c.id)
			}
			checkCommandSpan(t, ping, "ping", c.guild, c.channel, c.id)
			if ping.Status.GetCode() == tracepb.Status_STATUS_CODE_ERROR || attr(ping.Attributes, "error.type") != nil {
				t.Errorf("command ping: status %v, error.type %v, want no error", ping.Status, attr(ping.Attributes, "error.type"))
			}
			if ev := event(ping, "exception"); ev != nil {
				t.Errorf("command ping has an exception event: %v", ev)
			}
		}

		dice := byID[diceID]
		if dice == nil {
			t.Fatalf("no span for /dice roll %s", diceID)
		}
		checkCommandSpan(t, dice, "dice roll", guilds[1].ID, guilds[1].Channels[0].ID, diceID)
		const msg = "a die needs at least 2 sides, got 1"
		if dice.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR || dice.Status.GetMessage() != msg {
			t.Errorf("command dice roll: status %v, want ERROR %q", dice.Status, msg)
		}
		if got := str(attr(dice.Attributes, "error.type")); got != "RangeError" {
			t.Errorf("command dice roll: error.type = %q, want RangeError", got)
		}
		ex := event(dice, "exception")
		if ex == nil {
			t.Fatal("command dice roll: no exception event")
		}
		if str(attr(ex.Attributes, "exception.type")) != "RangeError" || str(attr(ex.Attributes, "exception.message")) != msg ||
			!strings.Contains(str(attr(ex.Attributes, "exception.stacktrace")), "example-bot.js") {
			t.Errorf("command dice roll: exception event %v", ex.Attributes)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		if len(rm) == 0 {
			t.Fatal("no metrics received")
		}
		// Shutdown's export is the last one; its values are final.
		last := rm[len(rm)-1]
		checkResource(t, last.Resource, pid)
		ms := map[string]*metricpb.Metric{}
		for _, sm := range last.ScopeMetrics {
			for _, m := range sm.Metrics {
				ms[m.Name] = m
			}
		}
		users, channels := 0, 0
		for _, g := range guilds {
			users += g.MemberCount
			channels += len(g.Channels)
		}
		for _, c := range []struct {
			name, unit string
			want       float64
		}{
			{"discord.guilds", "{guild}", float64(len(guilds))},
			{"discord.users", "{user}", float64(users)},
			{"discord.channels", "{channel}", float64(channels)},
			{"discord.gateway.connected", "1", 1},
			{"discord.shard.id", "", 0},
			{"discord.shard.count", "", 1},
			{"discord.commands", "{command}", 2},
		} {
			checkGauge(t, ms, c.name, c.unit, true, func(v float64) bool { return v == c.want }, strconv.FormatFloat(c.want, 'g', -1, 64))
		}
		checkGauge(t, ms, "discord.gateway.latency", "s", false, func(v float64) bool { return v >= 0 && v < 10 }, "in [0, 10) s")
		checkGauge(t, ms, "discord.session.uptime", "s", false, func(v float64) bool { return v > 0 }, "> 0")
		checkGauge(t, ms, "nodejs.eventloop.delay.p99", "s", false, func(v float64) bool { return v >= 0 && v < 10 }, "in [0, 10) s")
		for _, c := range []struct {
			name string
			want int64
		}{{"discord.gateway.ready", 1}, {"discord.gateway.reconnects", 1}, {"discord.gateway.resumes", 1}} {
			m := ms[c.name]
			if m == nil || m.GetSum() == nil || !m.GetSum().IsMonotonic || len(m.GetSum().DataPoints) != 1 ||
				m.GetSum().DataPoints[0].GetAsInt() != c.want {
				t.Errorf("%s = %v, want a monotonic sum of %d", c.name, m, c.want)
			}
		}
		for _, name := range []string{"v8js.memory.heap.used", "v8js.memory.heap.limit"} {
			heap := ms[name]
			spaces := map[string]bool{}
			for _, dp := range heap.GetGauge().GetDataPoints() {
				if _, isInt := dp.Value.(*metricpb.NumberDataPoint_AsInt); isInt && num(dp) > 0 {
					spaces[str(attr(dp.Attributes, "v8js.heap.space.name"))] = true
				}
			}
			if heap.GetUnit() != "By" || !spaces["old_space"] || !spaces["new_space"] {
				t.Errorf("%s: unit %q, spaces with bytes %v; want By with old_space and new_space", name, heap.GetUnit(), spaces)
			}
		}
	})
}

// waitUntil polls cond for up to 30 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitCallback waits for the answered initial response of interaction id
// and returns its JSON body.
func waitCallback(t *testing.T, fake *discordtest.Server, id string) map[string]any {
	t.Helper()
	r := fake.WaitFor(t, 30*time.Second, func(r discordtest.Request) bool {
		return r.Route == "POST /interactions/{id}/{token}/callback" && strings.Contains(r.Path, "/"+id+"/")
	})
	if r.Status != 204 {
		t.Fatalf("callback of %s answered %d: %s", id, r.Status, r.Body)
	}
	var body map[string]any
	if err := json.Unmarshal(r.PayloadJSON, &body); err != nil {
		t.Fatalf("callback of %s: %v", id, err)
	}
	return body
}

func checkResource(t *testing.T, r *resourcepb.Resource, pid int64) {
	t.Helper()
	if got := str(attr(r.GetAttributes(), "service.name")); got != "example-bot" {
		t.Errorf("resource service.name = %q, want example-bot", got)
	}
	if got := attr(r.GetAttributes(), "process.pid"); got.GetIntValue() != pid {
		t.Errorf("resource process.pid = %v, want %d", got, pid)
	}
	for k, want := range map[string]string{"process.runtime.name": "nodejs", "telemetry.sdk.language": "nodejs"} {
		if got := str(attr(r.GetAttributes(), k)); got != want {
			t.Errorf("resource %s = %q, want %q", k, got, want)
		}
	}
}

// checkCommandSpan checks the name, kind, attributes and first response of
// a command span; guildID "" means a DM: no discord.guild.id.
func checkCommandSpan(t *testing.T, s *tracepb.Span, name, guildID, channelID, interactionID string) {
	t.Helper()
	if s.Name != "command "+name || s.Kind != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("span %q kind %v, want %q SERVER", s.Name, s.Kind, "command "+name)
	}
	want := map[string]string{
		"discord.command.name":   name,
		"discord.command.module": "example",
		"discord.guild.id":       guildID,
		"discord.channel.id":     channelID,
		"discord.interaction.id": interactionID,
	}
	for k, want := range want {
		got := attr(s.Attributes, k)
		if k == "discord.guild.id" && want == "" {
			if got != nil {
				t.Errorf("%s in a DM: %s = %v, want none", s.Name, k, got)
			}
			continue
		}
		if got == nil || got.GetStringValue() != want {
			t.Errorf("%s: %s = %v, want %q", s.Name, k, got, want)
		}
	}
	if s.EndTimeUnixNano < s.StartTimeUnixNano {
		t.Errorf("%s: ends before it starts", s.Name)
	}
	fr := event(s, "discord.command.first_response")
	if fr == nil {
		t.Errorf("%s: no discord.command.first_response event", s.Name)
		return
	}
	if fr.TimeUnixNano < s.StartTimeUnixNano || fr.TimeUnixNano > s.EndTimeUnixNano {
		t.Errorf("%s: first response at %d, outside the span [%d, %d]", s.Name, fr.TimeUnixNano, s.StartTimeUnixNano, s.EndTimeUnixNano)
	}
}

// checkGauge checks that metric name is a gauge with unit and one data point
// (an integer when integer is set) accepted by ok.
func checkGauge(t *testing.T, ms map[string]*metricpb.Metric, name, unit string, integer bool, ok func(float64) bool, want string) {
	t.Helper()
	m := ms[name]
	if m == nil {
		t.Errorf("%s: not sent", name)
		return
	}
	dps := m.GetGauge().GetDataPoints()
	if m.Unit != unit || len(dps) != 1 || !ok(num(dps[0])) {
		t.Errorf("%s: unit %q, points %v; want unit %q and one value %s", name, m.Unit, dps, unit, want)
		return
	}
	if _, isInt := dps[0].Value.(*metricpb.NumberDataPoint_AsInt); isInt != integer {
		t.Errorf("%s: integer value %v, want %v", name, isInt, integer)
	}
}

func num(dp *metricpb.NumberDataPoint) float64 {
	if v, ok := dp.Value.(*metricpb.NumberDataPoint_AsInt); ok {
		return float64(v.AsInt)
	}
	return dp.GetAsDouble()
}

func attr(kvs []*commonpb.KeyValue, key string) *commonpb.AnyValue {
	for _, kv := range kvs {
		if kv.Key == key {
			return kv.Value
		}
	}
	return nil
}

func str(v *commonpb.AnyValue) string { return v.GetStringValue() }

func event(s *tracepb.Span, name string) *tracepb.Span_Event {
	for _, e := range s.Events {
		if e.Name == name {
			return e
		}
	}
	return nil
}
