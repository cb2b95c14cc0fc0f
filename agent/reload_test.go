package agent

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/agent/internal/httpapi"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// reloadFixture is a started agent whose configuration comes from a file
// the test rewrites.
type reloadFixture struct {
	t     *testing.T
	a     *Agent
	path  string
	dir   string
	level *slog.LevelVar
	logs  *syncBuffer
}

// config writes the file: loopback-only settings plus extra YAML.
func (f *reloadFixture) write(extra string) {
	f.t.Helper()
	base := fmt.Sprintf("storage: {path: %q}\noutput: {jsonl: %q, console: \"off\"}\n",
		filepath.Join(f.dir, "nexusmon.db"), filepath.Join(f.dir, "events.jsonl"))
	if !strings.Contains(extra, "http:") {
		base += "http: {listen: \"127.0.0.1:0\"}\n"
	}
	if !strings.Contains(extra, "probes:") {
		base = "probes: {discord_api: \"\", internet: []}\n" + base
	}
	if err := os.WriteFile(f.path, []byte(base+extra), 0o600); err != nil {
		f.t.Fatal(err)
	}
}

func newReloadFixture(t *testing.T) *reloadFixture {
	t.Helper()
	dir := t.TempDir()
	f := &reloadFixture{t: t, path: filepath.Join(dir, "nexusmon.yaml"), dir: dir, level: new(slog.LevelVar), logs: &syncBuffer{}}
	f.write("")
	cfg, err := LoadConfig(f.path)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: f.level}))
	ctx := context.Background()
	f.a, err = New(ctx, cfg, WithEnv(noEnv), WithLogger(log), WithStdout(io.Discard), WithLogLevel(f.level), WithConfigFile(f.path))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := f.a.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	return f
}

// A valid file changes thresholds, alert timing, modes and the log level;
// a changed restart-only key is named and keeps its running value; an
// invalid file changes nothing and every problem is logged.
func TestAgent_ReloadConfigFile(t *testing.T) {
	t.Parallel()
	f := newReloadFixture(t)
	ctx := context.Background()
	a := f.a

	f.write("thresholds: {memory_percent: {warning: 40, critical: 60}}\nalerts: {for: 5m}\nreports: {memory: {mode: \"off\"}, network: {interval: 2m}}\nlog: {level: debug}\notlp: {service_name: other}\nreceiver: {otlp: {max_series: 10}}\nfleet: {instance: other, shard: 2}\n")
	restart, err := a.ReloadConfigFile(ctx)
	if err != nil {
		t.Fatalf("valid reload: %v", err)
	}
	if !slices.Equal(restart, []string{"otlp", "receiver", "fleet"}) {
		t.Errorf("needs a restart = %q, want otlp, receiver and fleet", restart)
	}
	if got := time.Duration(a.reports[reportdata.EventNetwork].interval.Load()); got != 2*time.Minute {
		t.Errorf("network report interval after reload = %v, want 2m", got)
	}
	s := a.Reporter().Settings()
	if s.Thresholds.Memory.Warning != 40 || s.Thresholds.Memory.Critical != 60 || s.Alerts.For != 5*time.Minute || a.Reporter().Mode(reportdata.EventMemory) != reportdata.ModeOff {
		t.Errorf("reporter after reload: %+v, memory mode %q", s, a.Reporter().Mode(reportdata.EventMemory))
	}
	if f.level.Level() != slog.LevelDebug {
		t.Errorf("log level = %v, want debug", f.level.Level())
	}
	if c := a.Config(); c.Fleet.Instance != "" || c.Fleet.Shard != nil {
		t.Errorf("fleet in effect = %+v, want the running (unset) one", c.Fleet)
	}
	if c := a.Config(); c.Reports.Network.Interval != 2*time.Minute || c.OTLP.ServiceName != "" || c.Thresholds.MemoryPercent.Warning != 40 {
		t.Errorf("config in effect: network interval %v, service name %q, memory warning %v; want 2m, the running \"\", and 40",
			c.Reports.Network.Interval, c.OTLP.ServiceName, c.Thresholds.MemoryPercent.Warning)
	}
	logs := f.logs.String()
	for _, want := range []string{"config reloaded", `changed="[thresholds alerts reports log.level]"`, "needs a restart", "key=otlp", "key=receiver", "key=fleet"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}

	f.write("thresholds: {memory_percent: {warning: 95, critical: 20}}\nlog: {level: loud}\n")
	if _, err := a.ReloadConfigFile(ctx); err == nil {
		t.Fatal("invalid reload: no error")
	}
	if s := a.Reporter().Settings(); s.Thresholds.Memory.Warning != 40 || f.level.Level() != slog.LevelDebug {
		t.Errorf("after an invalid file the running config changed: %+v, level %v", s, f.level.Level())
	}
	logs = f.logs.String()
	for _, want := range []string{"level=ERROR msg=\"config reload refused\" problem=", "thresholds.memory_percent", "log.level", "running configuration is kept"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

// Probes are stopped and started again with the new targets.
func TestAgent_ReloadProbes(t *testing.T) {
	t.Parallel()
	hit := make(chan struct{}, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		select {
		case hit <- struct{}{}:
		default:
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	f := newReloadFixture(t)
	running := func() bool {
		f.a.reloadMu.Lock()
		defer f.a.reloadMu.Unlock()
		return f.a.prober != nil
	}
	if running() {
		t.Fatal("probes before reload")
	}
	f.write(fmt.Sprintf("probes: {internet: [%q], interval: 1s, timeout: 1s}\n", srv.URL))
	if _, err := f.a.ReloadConfigFile(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-hit:
	case <-time.After(10 * time.Second):
		t.Fatal("the new probe target was never probed")
	}
	f.write("")
	if _, err := f.a.ReloadConfigFile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if running() {
		t.Error("probes still running after they were removed")
	}
}

// The HTTP listener: / names the endpoints, POST /-/reload reloads (200),
// refuses an invalid file (400, with the problems), GET is 405; /healthz's
// status follows its "up".
func TestAgent_HTTPReloadAndIndex(t *testing.T) {
	t.Parallel()
	f := newReloadFixture(t)
	base := "http://" + f.a.HTTPAddr()
	do := func(method, path string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	code, body := do(http.MethodGet, "/")
	for _, want := range []string{"/metrics", "/healthz", "/-/reload"} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET / = %d %q, want 200 naming %s", code, body, want)
		}
	}
	if code, _ := do(http.MethodGet, "/nothing"); code != http.StatusNotFound {
		t.Errorf("GET /nothing = %d, want 404", code)
	}
	if code, _ := do(http.MethodGet, "/-/reload"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /-/reload = %d, want 405", code)
	}
	f.write("thresholds: {cpu_percent: {warning: 10, critical: 20}}\n")
	if code, body := do(http.MethodPost, "/-/reload"); code != http.StatusOK || !strings.Contains(body, "config reloaded") {
		t.Errorf("POST /-/reload = %d %q, want 200", code, body)
	}
	if th := f.a.Reporter().Settings().Thresholds.CPU; th.Warning != 10 {
		t.Errorf("cpu thresholds after POST /-/reload = %+v", th)
	}
	f.write("thresholds: {cpu_percent: {warning: 10, critical: 200}}\n")
	code, body = do(http.MethodPost, "/-/reload")
	if code != http.StatusBadRequest || !strings.Contains(body, f.path+":5: thresholds.cpu_percent.critical") {
		t.Errorf("POST /-/reload with an invalid file = %d %q, want 400 naming the problem", code, body)
	}
	if th := f.a.Reporter().Settings().Thresholds.CPU; th.Warning != 10 || th.Critical != 20 {
		t.Errorf("cpu thresholds after a refused reload = %+v", th)
	}
}

// /healthz never says "up": true beside a 503: once Stop has begun it is
// 503 with "up": false.
func TestAgent_healthzStopping(t *testing.T) {
	t.Parallel()
	f := newReloadFixture(t)
	f.a.bgMu.Lock()
	f.a.stopping = true
	f.a.bgMu.Unlock()
	rec := httptest.NewRecorder()
	httpapi.Handler(f.a.httpDeps()).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	f.a.bgMu.Lock()
	f.a.stopping = false // let Stop run
	f.a.bgMu.Unlock()
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"up":false`) {
		t.Errorf("stopping: %d %s, want 503 with \"up\":false", rec.Code, rec.Body)
	}
}

// POST /-/reload from a client off loopback is refused unless
// http.remote_reload is on.
func TestAgent_reloadRemoteClient(t *testing.T) {
	t.Parallel()
	f := newReloadFixture(t)
	post := func() int {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/-/reload", nil)
		req.RemoteAddr = "192.0.2.7:40000" // TEST-NET-1: never dialled, only named
		httpapi.Handler(f.a.httpDeps()).ServeHTTP(rec, req)
		return rec.Code
	}
	if code := post(); code != http.StatusForbidden {
		t.Errorf("remote POST /-/reload = %d, want 403", code)
	}
	f.write("http: {listen: \"127.0.0.1:0\", remote_reload: true}\n")
	if _, err := f.a.ReloadConfigFile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code := post(); code != http.StatusOK {
		t.Errorf("remote POST /-/reload with http.remote_reload on = %d, want 200", code)
	}
}
