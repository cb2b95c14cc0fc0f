package agent

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"

	"github.com/nexusmon/nexusmon/instrumentation/bot"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// botSDK is a Go bot's own OpenTelemetry SDK: a MeterProvider built by the
// function it gives WithMeterProvider, and a TracerProvider recording spans.
type botSDK struct {
	res     *resource.Resource
	mp      *sdkmetric.MeterProvider
	builds  int
	readers int // how many readers nexusmon gave
	spans   *tracetest.SpanRecorder
	tp      *sdktrace.TracerProvider
}

func newBotSDK() *botSDK {
	b := &botSDK{res: resource.NewSchemaless(attribute.String("service.name", "mybot")), spans: tracetest.NewSpanRecorder()}
	b.tp = sdktrace.NewTracerProvider(sdktrace.WithResource(b.res), sdktrace.WithSpanProcessor(b.spans))
	return b
}

func (b *botSDK) build(readers []sdkmetric.Reader) *sdkmetric.MeterProvider {
	b.builds++
	b.readers = len(readers)
	opts := []sdkmetric.Option{sdkmetric.WithResource(b.res)}
	for _, r := range readers {
		opts = append(opts, sdkmetric.WithReader(r))
	}
	b.mp = sdkmetric.NewMeterProvider(opts...)
	return b.mp
}

func scrapeHandler(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close() // read-only
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s\n%s", resp.Status, body)
	}
	return string(body)
}

// TestAgent_goBotOwnSDK: a Go bot with its own MeterProvider and
// TracerProvider: nexusmon's readers are in the bot's provider (one SDK),
// one /metrics shows the bot's instrument and nexusmon's, the five reports
// are still produced, command spans land in the bot's TracerProvider, and
// Stop leaves the bot's providers running for the bot to shut down.
func TestAgent_goBotOwnSDK(t *testing.T) {
	b := newBotSDK()
	cfg := testConfig(t)
	cfg.HTTP.Listen = "" // the bot serves /metrics itself
	// An OTLP endpoint in the environment is for the bot's exporters too:
	// nexusmon must not add a second OTLP pipeline to the bot's SDK.
	env := envMap(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"})
	a, err := New(context.Background(), cfg, WithEnv(env), WithStdout(&syncBuffer{}),
		WithMeterProvider(b.build), WithTracerProvider(b.tp), WithoutCommandRegistration())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			stopAgent(t, a)
		}
		_ = b.mp.Shutdown(context.Background())
		_ = b.tp.Shutdown(context.Background())
	})
	if b.builds != 1 || b.readers != 2 { // one for the reports and on demand, Prometheus
		t.Fatalf("build called %d times with %d readers, want once with 2 (no OTLP reader)", b.builds, b.readers)
	}
	if a.MeterProvider() != metric.MeterProvider(b.mp) {
		t.Error("MeterProvider() is not the bot's provider")
	}
	if a.HTTPAddr() != "" {
		t.Errorf("HTTPAddr = %q with http.listen empty", a.HTTPAddr())
	}

	jobs, err := b.mp.Meter("mybot").Int64Counter("mybot.jobs")
	if err != nil {
		t.Fatal(err)
	}
	jobs.Add(context.Background(), 3)

	roll := a.Wrap("games", "roll", func(*bot.Context) error { return nil })
	roll(nil, &discordgo.InteractionCreate{Interaction: &discordgo.Interaction{
		ID: "1300000000000000001", Type: discordgo.InteractionApplicationCommand,
		GuildID: "1300000000000000002", ChannelID: "1300000000000000003",
		Data: discordgo.ApplicationCommandInteractionData{Name: "roll"},
	}})
	var cmdSpan bool
	for _, s := range b.spans.Ended() {
		cmdSpan = cmdSpan || s.Name() == "command roll"
	}
	if !cmdSpan {
		t.Errorf("no command span in the bot's TracerProvider (spans: %d)", len(b.spans.Ended()))
	}

	page := scrapeHandler(t, a.MetricsHandler())
	for _, want := range []string{
		"mybot_jobs_total",                  // the bot's own instrument
		"discord_command_invocations_total", // nexusmon's command instrument
		"process_memory_usage",              // nexusmon's process collector
		`service_name="mybot"`,              // the bot's resource
	} {
		if !strings.Contains(page, want) {
			t.Errorf("/metrics has no %s", want)
		}
	}

	waitEvents(t, cfg.Output.JSONL, 30*time.Second, func(e []map[string]any) bool {
		for _, ev := range []reportdata.Kind{reportdata.EventSystem, reportdata.EventNetwork, reportdata.EventMemory, reportdata.EventCommands, reportdata.EventHealth} {
			if len(eventsOf(e, ev)) == 0 {
				return false
			}
		}
		return true
	})

	stopAgent(t, a)
	stopped = true
	// The bot's providers still run: its spans and metrics are its own.
	_, sp := b.tp.Tracer("mybot").Start(context.Background(), "after stop")
	sp.End()
	if got := b.spans.Ended(); got[len(got)-1].Name() != "after stop" {
		t.Error("the bot's TracerProvider was shut down by Stop")
	}
	page = scrapeHandler(t, a.MetricsHandler())
	if !strings.Contains(page, "mybot_jobs_total") {
		t.Error("the bot's metrics are gone from /metrics after Stop")
	}
	if strings.Contains(page, "process_memory_usage") {
		t.Error("nexusmon's collectors still report into the bot's provider after Stop")
	}
	// nexusmon's readers end with the bot's provider, without an error.
	if err := b.mp.Shutdown(context.Background()); err != nil {
		t.Errorf("bot's MeterProvider.Shutdown after Stop: %v", err)
	}
}

// TestNew_botSDKReleasedOnFailure: when New fails after it had the bot
// build its provider, nexusmon's readers in it are stopped (no goroutine
// stays) and the bot's TracerProvider is not shut down.
func TestNew_botSDKReleasedOnFailure(t *testing.T) {
	before := goleak.IgnoreCurrent()
	b := newBotSDK()
	defer b.tp.Shutdown(context.Background()) //nolint:errcheck // test cleanup
	_, err := New(context.Background(), testConfig(t), WithEnv(noEnv), WithStdout(&syncBuffer{}),
		WithMeterProvider(b.build), WithTracerProvider(b.tp), func(o *options) { o.failAt = "self_metrics" })
	if !errors.Is(err, errInjected) {
		t.Fatalf("err = %v, want the injected failure", err)
	}
	if b.builds != 1 {
		t.Fatalf("build called %d times", b.builds)
	}
	goleak.VerifyNone(t, before)
	_, sp := b.tp.Tracer("mybot").Start(context.Background(), "after failure")
	sp.End()
	if len(b.spans.Ended()) != 1 {
		t.Error("the bot's TracerProvider was shut down by the failed New")
	}
}

// TestNew_nilBotMeterProvider: a build function that returns nil is an
// error, not a panic later.
func TestNew_nilBotMeterProvider(t *testing.T) {
	_, err := New(context.Background(), testConfig(t), WithEnv(noEnv), WithStdout(&syncBuffer{}),
		WithMeterProvider(func([]sdkmetric.Reader) *sdkmetric.MeterProvider { return nil }))
	if err == nil || !strings.Contains(err.Error(), "nil MeterProvider") {
		t.Fatalf("err = %v", err)
	}
}

// TestAgent_metricsHandlerWithoutListener: with the agent's own providers
// and http.listen "", MetricsHandler still serves the agent's metrics.
func TestAgent_metricsHandlerWithoutListener(t *testing.T) {
	cfg := testConfig(t)
	cfg.HTTP.Listen = ""
	a, _ := startAgent(t, cfg)
	if a.HTTPAddr() != "" {
		t.Fatalf("HTTPAddr = %q", a.HTTPAddr())
	}
	if page := scrapeHandler(t, a.MetricsHandler()); !strings.Contains(page, "process_memory_usage") || !strings.Contains(page, `service_name="nexusmon"`) {
		t.Errorf("/metrics lacks nexusmon's metrics:\n%.2000s", page)
	}
}

// TestNew_withResource: WithResource adds to the agent's resource and wins
// over the defaults; OTEL_SERVICE_NAME still wins over it.
func TestNew_withResource(t *testing.T) {
	extra := resource.NewSchemaless(attribute.String("service.name", "mybot"), attribute.String("service.namespace", "games"))
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{nil, "mybot"},
		{map[string]string{"OTEL_SERVICE_NAME": "from-env"}, "from-env"},
	} {
		a, err := New(context.Background(), testConfig(t), WithEnv(envMap(tc.env)), WithStdout(&syncBuffer{}), WithResource(extra))
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := resourceValue(t, a.res, "service.name"); v != tc.want {
			t.Errorf("env %v: service.name = %q, want %q", tc.env, v, tc.want)
		}
		if v, _ := resourceValue(t, a.res, "service.namespace"); v != "games" {
			t.Errorf("service.namespace = %q", v)
		}
		if _, ok := resourceValue(t, a.res, "host.name"); !ok {
			t.Error("WithResource dropped the default host.name")
		}
		if page := scrapeHandler(t, a.MetricsHandler()); !strings.Contains(page, `service_name="`+tc.want+`"`) {
			t.Errorf("/metrics target_info lacks service_name=%q", tc.want)
		}
		stopAgent(t, a)
	}
}
