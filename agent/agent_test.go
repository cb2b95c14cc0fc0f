package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// syncBuffer is a bytes.Buffer safe for the agent's writer goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testConfig returns a config with 1 s intervals, files in a temp dir, no
// probes off loopback and HTTP on a free loopback port.
func testConfig(t *testing.T) *config.Config {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	for _, r := range []*config.Report{&cfg.Reports.System, &cfg.Reports.Network, &cfg.Reports.Memory, &cfg.Reports.Commands, &cfg.Reports.Health} {
		r.Interval = time.Second
	}
	cfg.Probes.DiscordAPI = ""
	cfg.Probes.Internet = nil
	cfg.Storage.Path = filepath.Join(dir, "nexusmon.db")
	cfg.Output.JSONL = filepath.Join(dir, "events.jsonl")
	cfg.HTTP.Listen = "127.0.0.1:0"
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config invalid: %v", err)
	}
	return cfg
}

// noEnv is an empty environment: OTLP export stays off.
func noEnv(string) (string, bool) { return "", false }

// readEvents decodes every line of the events file.
func readEvents(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		t.Fatal(err)
	}
	defer f.Close() // read-only
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("events line is not JSON: %v\n%s", err, sc.Bytes())
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func eventsOf(evs []map[string]any, name reportdata.Kind) []map[string]any {
	var out []map[string]any
	for _, e := range evs {
		if e["event"] == string(name) {
			out = append(out, e)
		}
	}
	return out
}

// waitEvents polls the events file until cond holds or the bound passes.
func waitEvents(t *testing.T, path string, bound time.Duration, cond func([]map[string]any) bool) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		evs := readEvents(t, path)
		if cond(evs) {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("events file %s never satisfied the condition; %d events so far", path, len(evs))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// get follows a dotted path through decoded JSON.
func get(t *testing.T, m map[string]any, path string) any {
	t.Helper()
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("%s: %q is not an object", path, k)
		}
		v, ok := obj[k]
		if !ok {
			t.Fatalf("%s: key %q missing", path, k)
		}
		cur = v
	}
	return cur
}

func num(t *testing.T, m map[string]any, path string, lo, hi float64) float64 {
	t.Helper()
	v, ok := get(t, m, path).(float64)
	if !ok {
		t.Fatalf("%s: not a number: %#v", path, get(t, m, path))
	}
	if v < lo || v > hi {
		t.Errorf("%s = %v, want within [%v, %v]", path, v, lo, hi)
	}
	return v
}

func startAgent(t *testing.T, cfg *config.Config, opts ...Option) (*Agent, *syncBuffer) {
	t.Helper()
	out := &syncBuffer{}
	opts = append([]Option{WithStdout(out), WithEnv(noEnv)}, opts...)
	a, err := New(context.Background(), cfg, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { stopAgent(t, a) })
	return a, out
}

func stopAgent(t *testing.T, a *Agent) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

func TestAgent_systemReportEndToEnd(t *testing.T) {
	cfg := testConfig(t)
	a, console := startAgent(t, cfg)

	// The first report has no interval (CPU null); a later one measures CPU
	// over its interval. Two reports close together (the start-up flush and
	// the first tick) can share one clock tick of /proc/stat, which measures
	// nothing either, so wait for the first report that has an interval.
	evs := waitEvents(t, cfg.Output.JSONL, 30*time.Second, func(e []map[string]any) bool {
		sys := eventsOf(e, "detailed_system_monitoring")
		if len(sys) < 2 {
			return false
		}
		d, _ := sys[len(sys)-1]["data"].(map[string]any)
		sm, _ := d["system_metrics"].(map[string]any)
		cpu, _ := sm["cpu"].(map[string]any)
		_, ok := cpu["percent"].(float64)
		return ok
	})
	sys := eventsOf(evs, "detailed_system_monitoring")
	last := sys[len(sys)-1]
	if _, err := time.Parse(time.RFC3339, last["timestamp"].(string)); err != nil {
		t.Errorf("timestamp: %v", err)
	}
	d := get(t, last, "data").(map[string]any)

	cpus := float64(len(get(t, d, "system_metrics.cpu.per_core_percent").([]any)))
	num(t, d, "system_metrics.cpu.percent", 0, 100)
	num(t, d, "system_metrics.cpu.cores_logical", 1, 4096)
	num(t, d, "system_metrics.cpu.cores_physical", 1, 4096)
	if lc := num(t, d, "system_metrics.cpu.cores_logical", 1, 4096); lc != cpus {
		t.Errorf("per_core_percent has %v entries, cores_logical %v", cpus, lc)
	}
	num(t, d, "system_metrics.cpu.frequency_mhz", 0, 1e5)
	for _, k := range []string{"1m", "5m", "15m"} {
		num(t, d, "system_metrics.cpu.load_average."+k, 0, 1e4)
	}
	total := num(t, d, "system_metrics.memory.total", 1<<20, 1<<50)
	for _, k := range []string{"available", "used", "free", "cached", "buffers"} {
		num(t, d, "system_metrics.memory."+k, 0, total)
	}
	num(t, d, "system_metrics.memory.percent", 0, 100)
	for _, k := range []string{"total", "used", "free"} {
		num(t, d, "system_metrics.memory.swap."+k, 0, 1<<50)
	}
	num(t, d, "system_metrics.memory.swap.percent", 0, 100)
	parts := get(t, d, "system_metrics.disk.partitions").([]any)
	if len(parts) == 0 {
		t.Error("no disk partitions reported")
	}
	for _, p := range parts {
		pm := p.(map[string]any)
		if get(t, pm, "mountpoint").(string) == "" {
			t.Error("partition without mountpoint")
		}
		for _, k := range []string{"total", "used", "free"} {
			num(t, pm, k, 0, 1<<60)
		}
		num(t, pm, "percent", 0, 100)
	}
	for _, k := range []string{"read_bytes", "write_bytes", "read_count", "write_count", "read_bytes_per_sec", "write_bytes_per_sec"} {
		num(t, d, "system_metrics.disk.io."+k, 0, 1<<60)
	}
	for _, k := range []string{"bytes_sent", "bytes_recv", "packets_sent", "packets_recv", "errin", "errout", "dropin", "dropout", "bytes_sent_per_sec", "bytes_recv_per_sec"} {
		num(t, d, "system_metrics.network."+k, 0, 1<<60)
	}
	if pid := num(t, d, "bot_process_metrics.pid", 1, 1<<22); int(pid) != os.Getpid() {
		t.Errorf("bot_process_metrics.pid = %v, want this process %d", pid, os.Getpid())
	}
	rss := num(t, d, "bot_process_metrics.memory.rss", 1<<20, 1<<40)
	num(t, d, "bot_process_metrics.memory.vms", rss, 1<<50)
	num(t, d, "bot_process_metrics.memory.shared", 0, 1<<40)
	num(t, d, "bot_process_metrics.memory.data", 0, 1<<50)
	num(t, d, "bot_process_metrics.memory_percent", 0, 100)
	num(t, d, "bot_process_metrics.cpu_percent", 0, 100*cpus)
	num(t, d, "bot_process_metrics.threads", 1, 1e5)
	num(t, d, "bot_process_metrics.open_fds", 3, 1e6)
	num(t, d, "bot_process_metrics.connections", 0, 1e6)
	if ct, err := time.Parse(time.RFC3339, get(t, d, "bot_process_metrics.create_time").(string)); err != nil || time.Since(ct) < 0 {
		t.Errorf("create_time %v (%v)", ct, err)
	}
	if st := get(t, d, "bot_process_metrics.status").(string); st == "" {
		t.Error("empty process status")
	}
	if get(t, d, "bot_metrics.connected") != false {
		t.Error("bot_metrics.connected should be false without a session")
	}
	for _, k := range []string{"guilds", "users", "channels", "latency_ms", "uptime_seconds", "modules", "commands", "reconnects", "resumes", "rate_limit_hits"} {
		if v := get(t, d, "bot_metrics."+k); v != nil {
			t.Errorf("bot_metrics.%s = %v, want null without a session", k, v)
		}
	}
	if v := get(t, d, "runtime_metrics.go_version").(string); !strings.HasPrefix(v, "go") {
		t.Errorf("go_version %q", v)
	}
	num(t, d, "runtime_metrics.goroutines", 1, 1e6)
	num(t, d, "runtime_metrics.gc.cycles", 0, 1e9)
	num(t, d, "runtime_metrics.gc.pause_total_ms", 0, 1e9)
	num(t, d, "runtime_metrics.gc.last_pause_ms", 0, 1e6)
	num(t, d, "runtime_metrics.heap.alloc", 1<<10, 1<<40)
	num(t, d, "runtime_metrics.heap.objects", 1, 1e12)
	num(t, d, "runtime_metrics.heap.sys", 1<<10, 1<<40)
	num(t, d, "runtime_metrics.heap.next_gc", 1<<10, 1<<40)
	if !strings.Contains(console.String(), "Detailed System Monitor") {
		t.Error("the console shows no system report")
	}

	// The HTTP endpoints.
	body := httpGet(t, "http://"+a.HTTPAddr()+"/metrics")
	for _, want := range []string{"system_cpu_time_seconds_total", "process_memory_usage_bytes", "go_goroutine_count", "nexusmon_system_cpu_load_average_1m", "nexusmon_collector_success"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	var hz struct {
		Up             bool       `json:"up"`
		LastCollection *time.Time `json:"last_collection"`
		Store          struct {
			OK bool `json:"ok"`
		} `json:"store"`
	}
	if err := json.Unmarshal([]byte(httpGet(t, "http://"+a.HTTPAddr()+"/healthz")), &hz); err != nil {
		t.Fatal(err)
	}
	if !hz.Up || hz.LastCollection == nil || !hz.Store.OK {
		t.Errorf("/healthz = %+v", hz)
	}
}

func TestAgent_stopPostsNoDuplicateReport(t *testing.T) {
	cfg := testConfig(t)
	a, _ := startAgent(t, cfg)
	waitEvents(t, cfg.Output.JSONL, 30*time.Second, func(e []map[string]any) bool {
		return len(eventsOf(e, "detailed_system_monitoring")) >= 1
	})
	before := len(eventsOf(readEvents(t, cfg.Output.JSONL), "detailed_system_monitoring"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stopAt := time.Now()
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	after := eventsOf(readEvents(t, cfg.Output.JSONL), "detailed_system_monitoring")
	// A report may have been due between the count and Stop; none may carry a
	// timestamp after Stop began (that would be the shutdown collection).
	for _, e := range after[before:] {
		ts, _ := time.Parse(time.RFC3339Nano, e["timestamp"].(string))
		if ts.After(stopAt) {
			t.Errorf("a report at %v was published by the shutdown (Stop began %v)", ts, stopAt)
		}
	}
}

func TestAgent_refusesBadStore(t *testing.T) {
	cfg := testConfig(t)
	if err := os.WriteFile(cfg.Storage.Path, bytes.Repeat([]byte("not a database "), 512), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := New(context.Background(), cfg, WithEnv(noEnv), WithStdout(io.Discard))
	if err == nil || !strings.Contains(err.Error(), cfg.Storage.Path) {
		t.Fatalf("New on a corrupt store = %v, want an error naming the file", err)
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	return scrape(t, url, "")
}

func TestAgent_oneAgentPerStore(t *testing.T) {
	cfg := testConfig(t)
	startAgent(t, cfg)
	_, err := New(context.Background(), cfg, WithEnv(noEnv), WithStdout(io.Discard))
	if err == nil || !strings.Contains(err.Error(), "in use by another nexusmon process") {
		t.Fatalf("a second agent on the same store: %v, want it refused", err)
	}
	// The self-test runs beside a running agent: it uses a store of its own.
	var out syncBuffer
	if code := TestReport(context.Background(), cfg, &out, WithEnv(noEnv)); !strings.Contains(out.String(), "✅ Data formatting") {
		t.Errorf("test-report beside a running agent (exit %d):\n%s", code, out.String())
	}
}
