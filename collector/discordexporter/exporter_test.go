package discordexporter

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/nexusmon/nexusmon/collector/discordexporter/internal/fleet"
	"github.com/nexusmon/nexusmon/internal/discordtest"
)

// Every test ends with no goroutine left behind: the exporter's loops,
// the delivery, HTTP connections, the file storage.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// host is a component.Host with extensions.
type host map[component.ID]component.Component

func (h host) GetExtensions() map[component.ID]component.Component { return h }

// fakeDiscordConfig is a bot config that posts to srv.
func fakeDiscordConfig(srv *discordtest.Server) *Config {
	c := createDefaultConfig().(*Config)
	c.Discord.Token, c.Discord.ChannelID, c.Discord.APIURL = configopaqueString(srv.Token()), discordtest.DefaultChannel2ID, srv.URL
	return c
}

// startExporter creates the exporter through the Collector's helper with
// a short overview interval and starts it on h.
func startExporter(t *testing.T, cfg *Config, h component.Host, every time.Duration) exporter.Metrics {
	t.Helper()
	set := exportertest.NewNopSettings(Type)
	set.ID = component.NewIDWithName(Type, "fleet") // the storage client is per id: the same across restarts
	core, logs := observer.New(zapcore.DebugLevel)
	set.Logger = zaptest.NewLogger(t, zaptest.WrapOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return zapcore.NewTee(c, core) })))
	// Secrets never reach the log.
	t.Cleanup(func() {
		for _, e := range logs.All() {
			line := e.Message + fmt.Sprint(e.ContextMap())
			for _, secret := range []string{string(cfg.Discord.Token), string(cfg.Discord.WebhookURL)} {
				if secret != "" && strings.Contains(line, secret) {
					t.Errorf("a secret in the log: %q", e.Message)
				}
			}
		}
	})
	e, err := newExporter(cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	e.tickEvery = every
	exp, err := wrap(context.Background(), set, cfg, e)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.Start(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	return exp
}

func titles(ms []discordtest.Message) []string {
	var out []string
	for _, m := range ms {
		for _, e := range m.Embeds {
			if s, ok := e["title"].(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// waitMessages polls the channel until ok accepts its messages.
func waitMessages(t *testing.T, srv *discordtest.Server, ok func([]discordtest.Message) bool) []discordtest.Message {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ms := srv.Messages(discordtest.DefaultChannel2ID)
		if ok(ms) {
			return ms
		}
		if time.Now().After(deadline) {
			t.Fatalf("channel never got there; titles: %q", titles(ms))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFactory(t *testing.T) {
	f := NewFactory()
	if f.Type().String() != "discord" {
		t.Errorf("type = %s", f.Type())
	}
	if f.MetricsStability() != component.StabilityLevelAlpha {
		t.Errorf("stability = %v", f.MetricsStability())
	}
	if _, err := f.CreateMetrics(context.Background(), exportertest.NewNopSettings(Type), f.CreateDefaultConfig()); err == nil ||
		!strings.Contains(err.Error(), "discord: set discord.token") {
		t.Errorf("create with no destination = %v", err)
	}
	if _, err := f.CreateTraces(context.Background(), exportertest.NewNopSettings(Type), botConfig()); err == nil {
		t.Error("a traces exporter was created")
	}
}

// The fleet command analysis and the fleet health report run on their own
// intervals and reach Discord (the fake checks every limit), each with
// its JSON attachment; the overview is off.
func TestExporter_CommandsAndHealthReports(t *testing.T) {
	srv := discordtest.New(t)
	cfg := fakeDiscordConfig(srv)
	cfg.Reports.Overview.Mode = "off"
	set := exportertest.NewNopSettings(Type)
	e, err := newExporter(cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	e.commandsEvery, e.healthEvery = 50*time.Millisecond, 70*time.Millisecond
	exp, err := wrap(context.Background(), set, cfg, e)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	s := newShard("0", "h1", 10)
	for i := 0; i < 2; i++ {
		st := s.step()
		st.At = time.Now().Add(time.Duration(i) * time.Second)
		if err := exp.ConsumeMetrics(context.Background(), metrics(st)); err != nil {
			t.Fatal(err)
		}
	}
	has := func(ms []discordtest.Message, title, file string) bool {
		for _, m := range ms {
			for _, tt := range titles([]discordtest.Message{m}) {
				if strings.Contains(tt, title) {
					for _, f := range m.Files {
						if f.Name == file {
							return true
						}
					}
				}
			}
		}
		return false
	}
	ms := waitMessages(t, srv, func(ms []discordtest.Message) bool {
		return has(ms, "Fleet commands · bot", "fleet_command_analysis.json") && has(ms, "Fleet health · bot", "fleet_health.json")
	})
	for _, m := range ms {
		if !m.NoMentions || m.Flags&4096 == 0 {
			t.Errorf("message %q: no mentions %v, flags %d (want silent)", titles([]discordtest.Message{m}), m.NoMentions, m.Flags)
		}
	}
	for _, tt := range titles(ms) {
		if strings.Contains(tt, "Fleet overview") {
			t.Errorf("overview posted in mode off: %q", tt)
		}
	}
	if err := exp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Start, exports from three instances, the overview posted once and then
// edited in place, shutdown; no goroutine leaks (TestMain). The fake
// Discord checks every payload against Discord's limits.
func TestExporter_Lifecycle(t *testing.T) {
	srv := discordtest.New(t)
	exp := startExporter(t, fakeDiscordConfig(srv), componenttest.NewNopHost(), 50*time.Millisecond)
	shards := []*shard{newShard("0", "h1", 10), newShard("1", "h1", 20), newShard("2", "h2", 30)}
	export := func() {
		var es []agentExport
		for _, s := range shards {
			e := s.step()
			e.At = time.Now()
			es = append(es, e)
		}
		if err := exp.ConsumeMetrics(context.Background(), metrics(es...)); err != nil {
			t.Fatal(err)
		}
	}
	export()
	ms := waitMessages(t, srv, func(ms []discordtest.Message) bool { return len(ms) > 0 })
	if len(ms) != 1 || !strings.HasPrefix(titles(ms)[0], "🛰️ Fleet overview · bot") || !ms[0].NoMentions {
		t.Fatalf("messages = %q (no mentions: %v)", titles(ms), len(ms) > 0 && ms[0].NoMentions)
	}
	first := ms[0].ID
	time.Sleep(10 * time.Millisecond)
	export()
	ms = waitMessages(t, srv, func(ms []discordtest.Message) bool { return len(ms) == 1 && !ms[0].EditedAt.IsZero() })
	if ms[0].ID != first {
		t.Errorf("the overview was posted again, not edited")
	}
	var env struct {
		Data fleet.OverviewData `json:"data"`
	}
	if len(ms[0].Files) != 1 || json.Unmarshal(ms[0].Files[0].Data, &env) != nil || env.Data.Instances != 3 {
		t.Fatalf("attachment: %d files, data %+v", len(ms[0].Files), env.Data)
	}
	if err := exp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := exp.ConsumeMetrics(context.Background(), metrics()); err == nil {
		t.Error("an export after shutdown was taken")
	}
}

// fileStorage starts a file_storage extension on dir; the caller shuts it
// down.
func fileStorage(t *testing.T, dir string) (component.ID, extension.Extension) {
	t.Helper()
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory, cfg.Compaction.Directory = dir, dir
	id := component.MustNewIDWithName("file_storage", "discord")
	set := extensiontest.NewNopSettings(f.Type())
	set.ID = id
	ext, err := f.Create(context.Background(), set, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := ext.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	return id, ext
}

// A gateway restarted during a Discord outage, on file_storage: what was
// queued is delivered after the restart, once, and a firing alert is not
// fired again.
func TestExporter_RestartWithFileStorageLosesNothingRefiresNothing(t *testing.T) {
	srv := discordtest.New(t)
	dir := t.TempDir()
	cfg := fakeDiscordConfig(srv)
	cfg.Alerts.For = 0
	cfg.Reports.Overview.Mode = "post"
	hot := newShard("7", "h1", 95)
	export := func(exp exporter.Metrics) {
		e := hot.step()
		e.At = time.Now()
		if err := exp.ConsumeMetrics(context.Background(), metrics(e)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}

	srv.SetOutage(503)
	id, ext := fileStorage(t, dir)
	cfg.Storage = &id
	exp := startExporter(t, cfg, host{id: ext}, time.Hour)
	export(exp)
	export(exp) // CPU over the critical line: the alert is queued
	// Shut down while Discord is still down, after its answer to the first
	// attempt (an attempt abandoned in flight may still reach Discord: at
	// least once), while the retry waits: the alert stays queued.
	srv.WaitFor(t, 20*time.Second, func(r discordtest.Request) bool { return r.Status == 503 })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	if err := exp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := ext.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ms := srv.Messages(discordtest.DefaultChannel2ID); len(ms) != 0 {
		t.Fatalf("messages during the outage: %q", titles(ms))
	}

	restart := time.Now()
	srv.SetOutage(0)
	_, ext = fileStorage(t, dir)
	exp = startExporter(t, cfg, host{id: ext}, time.Hour)
	export(exp) // still over the line: must not fire again
	export(exp)
	waitMessages(t, srv, func(ms []discordtest.Message) bool { return len(ms) >= 1 })
	time.Sleep(300 * time.Millisecond) // a second alert would have been queued with the exports above
	if err := exp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := ext.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	ms := srv.Messages(discordtest.DefaultChannel2ID)
	got := titles(ms)
	if len(got) != 1 || !strings.Contains(got[0], "shard 7 · h1 · CRITICAL · CPU usage") {
		var detail []string
		for _, m := range ms {
			for _, f := range m.Files {
				detail = append(detail, fmt.Sprintf("message %s file %s: %s", m.ID, f.Name, strings.Join(strings.Fields(string(f.Data)), " ")))
			}
		}
		t.Fatalf("messages after the restart (restarted at %v) = %q, want the one alert queued before it:\n%s",
			restart, got, strings.Join(detail, "\n"))
	}
	var env struct {
		Data fleet.InstanceAlertData `json:"data"`
	}
	if err := json.Unmarshal(ms[0].Files[0].Data, &env); err != nil {
		t.Fatal(err)
	}
	if !env.Data.Since.Before(restart) || env.Data.Instance.ShardID != "7" {
		t.Errorf("the alert delivered fired at %v, after the restart at %v: the queued one was lost", env.Data.Since, restart)
	}
}

// Through a channel webhook instead of a bot: the overview is posted, then
// edited through the webhook's message route.
func TestExporter_Webhook(t *testing.T) {
	srv := discordtest.New(t)
	_, _, hook := srv.CreateWebhook(discordtest.DefaultChannel2ID)
	cfg := createDefaultConfig().(*Config)
	cfg.Discord.WebhookURL = configopaqueString(hook)
	exp := startExporter(t, cfg, componenttest.NewNopHost(), 50*time.Millisecond)
	s := newShard("0", "h1", 10)
	for i := 0; i < 2; i++ {
		e := s.step()
		e.At = time.Now()
		if err := exp.ConsumeMetrics(context.Background(), metrics(e)); err != nil {
			t.Fatal(err)
		}
		waitMessages(t, srv, func(ms []discordtest.Message) bool { return len(ms) == 1 && (i == 0 || !ms[0].EditedAt.IsZero()) })
	}
	if err := exp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A storage id that names no extension, or one that is not a storage,
// fails the start with the id named.
func TestExporter_StartFailsOnBadStorage(t *testing.T) {
	srv := discordtest.New(t)
	for _, tc := range []struct {
		name string
		h    host
		want string
	}{
		{"missing", host{}, "storage file_storage/x: no such extension"},
		{"not a storage", host{component.MustNewIDWithName("file_storage", "x"): struct {
			component.StartFunc
			component.ShutdownFunc
		}{}}, "storage file_storage/x: not a storage extension"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fakeDiscordConfig(srv)
			id := component.MustNewIDWithName("file_storage", "x")
			cfg.Storage = &id
			set := exportertest.NewNopSettings(Type)
			exp, err := NewFactory().CreateMetrics(context.Background(), set, cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = exp.Start(context.Background(), tc.h)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("start = %v, want %q", err, tc.want)
			}
			if err := exp.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}
