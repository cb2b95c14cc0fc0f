package agent

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/internal/discordtest"
	"github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/receiver/otlp"
	"github.com/nexusmon/nexusmon/report"
)

func otlpStr(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

// jsBotResource is the resource of a discord.js bot's OpenTelemetry SDK.
func jsBotResource() *resourcepb.Resource {
	return &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
		otlpStr(names.AttrServiceName, "jsbot"), otlpStr(names.AttrRuntimeName, "nodejs"), otlpStr(names.AttrSDKLanguage, "nodejs"),
	}}
}

// jsCommandSpan is a command span as docs/conventions.md describes it.
func jsCommandSpan(name string, start time.Time, d time.Duration, errType, msg string) *tracepb.Span {
	sp := &tracepb.Span{
		TraceId: bytes.Repeat([]byte{1}, 16), SpanId: bytes.Repeat([]byte{2}, 8),
		Name: "command " + name, Kind: tracepb.Span_SPAN_KIND_SERVER,
		StartTimeUnixNano: uint64(start.UnixNano()), EndTimeUnixNano: uint64(start.Add(d).UnixNano()),
		Attributes: []*commonpb.KeyValue{
			otlpStr(names.AttrCommandName, name), otlpStr(names.AttrCommandModule, "music"),
			otlpStr(names.AttrGuildID, discordtest.DefaultGuildID), otlpStr(names.AttrChannelID, discordtest.DefaultChannelID),
			otlpStr(names.AttrInteractionID, "1300000000000000001"),
		},
		Events: []*tracepb.Span_Event{{Name: names.EventFirstResponse, TimeUnixNano: uint64(start.Add(d / 2).UnixNano())}},
	}
	if errType != "" {
		sp.Attributes = append(sp.Attributes, otlpStr(names.AttrErrorType, errType))
		sp.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: msg}
	}
	return sp
}

func postOTLP(t *testing.T, addr, path string, m proto.Message) {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+addr+path, "application/x-protobuf", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %s", path, resp.Status)
	}
}

// A bot in another language (a discord.js bot, here its OTLP requests)
// sends two command spans and its guild count; nexusmon, posting through
// a webhook with no gateway session of its own, reports both commands with
// counts and percentiles, a command_error for the failure, and the bot's
// guild count and Node.js heap in the system report.
func TestAgent_receiverEndToEnd(t *testing.T) {
	srv := fakeDiscord(t)
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
	ch := discordtest.DefaultChannelID

	now := time.Now()
	postOTLP(t, addr, "/v1/traces", &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: jsBotResource(),
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{
			jsCommandSpan("play", now.Add(-time.Second), 150*time.Millisecond, "", ""),
			jsCommandSpan("skip", now.Add(-time.Second), 40*time.Millisecond, "TypeError", "Cannot read properties of undefined (reading 'queue')"),
		}}},
	}}})
	metricsReq := &colmetricpb.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{{
		Resource: jsBotResource(),
		ScopeMetrics: []*metricspb.ScopeMetrics{{Metrics: []*metricspb.Metric{
			{Name: names.DiscordGuilds, Unit: "{guild}", Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: []*metricspb.NumberDataPoint{
				{TimeUnixNano: uint64(now.UnixNano()), Value: &metricspb.NumberDataPoint_AsInt{AsInt: 7}}}}}},
			{Name: names.DiscordConnected, Unit: "1", Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: []*metricspb.NumberDataPoint{
				{TimeUnixNano: uint64(now.UnixNano()), Value: &metricspb.NumberDataPoint_AsInt{AsInt: 1}}}}}},
			{Name: names.NodeHeapUsed, Unit: "By", Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: []*metricspb.NumberDataPoint{
				{Attributes: []*commonpb.KeyValue{otlpStr(names.AttrNodeHeapSpace, "old_space")},
					TimeUnixNano: uint64(now.UnixNano()), Value: &metricspb.NumberDataPoint_AsInt{AsInt: 30 << 20}}}}}},
		}}},
	}}}
	postOTLP(t, addr, "/v1/metrics", metricsReq)

	// The failure: a command_error message naming the command and the error.
	waitFor(t, 30*time.Second, "the command_error message", func() bool { return len(titled(srv.Messages(ch), "Command error · /skip")) == 1 })
	errMsg := titled(srv.Messages(ch), "Command error · /skip")[0]
	if txt := embedText(errMsg); !strings.Contains(txt, "TypeError") || !strings.Contains(txt, "reading 'queue'") {
		t.Errorf("command_error = %s", txt)
	}
	if txt := embedText(errMsg); strings.Contains(txt, "Goroutines") || !strings.Contains(txt, "another process") {
		t.Errorf("command_error of a received command shows the agent's own process figures: %s", txt)
	}

	// The command report: both commands with their counts and percentiles.
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
	waitFor(t, 30*time.Second, "a command report with play and skip", func() bool {
		for _, m := range titled(srv.Messages(ch), "Command Performance") {
			if err := json.Unmarshal(m.Files[0].Data, &cmds); err != nil {
				t.Fatal(err)
			}
			if len(cmds.Data.Commands) == 2 {
				return true
			}
		}
		return false
	})
	for _, c := range cmds.Data.Commands {
		wantFail := uint64(0)
		if c.Name == "skip" {
			wantFail = 1
		}
		if c.Module != "music" || c.Executions != 1 || c.Failures != wantFail || c.P50MS <= 0 || c.P95MS < c.P50MS {
			t.Errorf("command %+v, want 1 execution, %d failures, percentiles", c, wantFail)
		}
	}

	// The system report's bot section: the bot's guild count.
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
			if sys.Data.BotMetrics["guilds"] == 7.0 {
				return true
			}
		}
		postOTLP(t, addr, "/v1/metrics", metricsReq) // the live message is edited: keep the point fresh
		return false
	})
	if sys.Data.BotMetrics["connected"] != true {
		t.Errorf("bot_metrics = %v, want connected", sys.Data.BotMetrics)
	}
	if rt := sys.Data.BotRuntime; rt["runtime"] != "nodejs" || rt["service"] != "jsbot" || rt["heap_used"] != float64(30<<20) {
		t.Errorf("bot_runtime = %v, want the bot's Node.js heap", rt)
	}
}

// With a gateway session of its own, the agent's reading of a session
// metric wins over a received one: the guilds are not counted twice.
func TestAgent_receiverOwnSessionWins(t *testing.T) {
	srv := fakeDiscord(t)
	cfg := botConfig(t, srv)
	cfg.Receiver.OTLP.HTTP = "127.0.0.1:0"
	for _, r := range []*config.Report{&cfg.Reports.Network, &cfg.Reports.Memory, &cfg.Reports.Commands, &cfg.Reports.Health} {
		r.Mode = "off"
	}
	a, _ := startAgent(t, cfg)
	waitFor(t, 20*time.Second, "IDENTIFY", func() bool { return srv.Identifies() >= 1 })
	now := time.Now()
	req := &colmetricpb.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{{
		Resource: jsBotResource(),
		ScopeMetrics: []*metricspb.ScopeMetrics{{Metrics: []*metricspb.Metric{
			{Name: names.DiscordGuilds, Unit: "{guild}", Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: []*metricspb.NumberDataPoint{
				{TimeUnixNano: uint64(now.UnixNano()), Value: &metricspb.NumberDataPoint_AsInt{AsInt: 7}}}}}},
		}}},
	}}}
	postOTLP(t, a.ReceiverAddr(), "/v1/metrics", req)
	var snap *report.Snapshot
	var err error
	waitFor(t, 20*time.Second, "the agent's own session metrics", func() bool {
		if snap, err = a.collectNow(t.Context()); err != nil {
			t.Fatal(err)
		}
		a.augment(report.EventSystem, snap)
		return snap.Has(names.DiscordGuilds) && len(snap.Points(names.DiscordGuilds, names.AttrScope, names.ScopeBot, names.AttrServiceName, "")) > 0
	})
	if got, _ := snap.Sum(names.DiscordGuilds, names.AttrScope, names.ScopeBot); got != 1 {
		t.Errorf("guilds = %v, want the agent's own 1 (the received 7 not added)", got)
	}
}

// The receiver's own defaults (for library use) are the config's.
func TestReceiverDefaults(t *testing.T) {
	d := config.Default().Receiver.OTLP
	if d.HTTP != "" || d.MaxRequestBytes != otlp.DefaultMaxRequestBytes || d.MaxSpansPerMinute != otlp.DefaultMaxSpansPerMinute ||
		d.MaxPointsPerMinute != otlp.DefaultMaxPointsPerMinute || d.MaxSeries != otlp.DefaultMaxSeries {
		t.Errorf("config defaults %+v differ from the receiver's", d)
	}
}

// An on-demand report (/nexus status and health, the self-test's formatting
// check) collects now and then builds through the Reporter, whose Augment
// adds the received points: they are added once, not also by the
// collection, so a received runtime figure is not doubled.
func TestAgent_receivedPointsOnceOnDemand(t *testing.T) {
	cfg := testConfig(t)
	cfg.Receiver.OTLP.HTTP = "127.0.0.1:0"
	a, _ := startAgent(t, cfg)
	now := time.Now()
	req := &colmetricpb.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{{
		Resource: jsBotResource(),
		ScopeMetrics: []*metricspb.ScopeMetrics{{Metrics: []*metricspb.Metric{
			{Name: names.NodeHeapLimit, Unit: "By", Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: []*metricspb.NumberDataPoint{
				{TimeUnixNano: uint64(now.UnixNano()), Value: &metricspb.NumberDataPoint_AsInt{AsInt: 1 << 30}}}}}},
		}}},
	}}}
	postOTLP(t, a.ReceiverAddr(), "/v1/metrics", req)
	snap, err := a.collectNow(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.reporter.BuildNow(t.Context(), report.EventSystem, snap); err != nil {
		t.Fatal(err)
	}
	if n := len(snap.Points(names.NodeHeapLimit)); n != 1 {
		t.Errorf("%s: %d points in the on-demand snapshot, want 1", names.NodeHeapLimit, n)
	}
}
