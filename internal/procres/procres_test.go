package procres

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.uber.org/goleak"

	"github.com/nexusmon/nexusmon/internal/metrictest"
	"github.com/nexusmon/nexusmon/internal/names"
)

// recordingExporter records the process.pid of the resource of every
// export, and whether it was shut down.
type recordingExporter struct {
	mu   sync.Mutex
	pids []string
	shut bool
}

func (e *recordingExporter) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	return sdkmetric.DefaultTemporalitySelector(k)
}

func (e *recordingExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

func (e *recordingExporter) Export(_ context.Context, rm *metricdata.ResourceMetrics) error {
	v, _ := rm.Resource.Set().Value(keyPID)
	e.mu.Lock()
	e.pids = append(e.pids, v.String())
	e.mu.Unlock()
	return nil
}

func (e *recordingExporter) ForceFlush(context.Context) error { return nil }

func (e *recordingExporter) Shutdown(context.Context) error {
	e.mu.Lock()
	e.shut = true
	e.mu.Unlock()
	return nil
}

func startChild(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kill(cmd) })
	return cmd
}

func kill(cmd *exec.Cmd) {
	_ = cmd.Process.Kill() // may be dead already
	_ = cmd.Wait()
}

func writePID(t *testing.T, path string, pid int) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// collect makes one report collection: the agent's reader with the
// watched process merged in.
func collectOnce(t *testing.T, w *Watcher, agent *sdkmetric.ManualReader) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := w.Collect(context.Background(), agent, &rm); err != nil {
		t.Fatal(err)
	}
	return rm
}

func resourcePID(t *testing.T, res *resource.Resource) int {
	t.Helper()
	if res == nil {
		t.Fatal("no resource")
	}
	v, ok := res.Set().Value(keyPID)
	if !ok {
		t.Fatalf("resource %v has no process.pid", res.Attributes())
	}
	return int(v.AsInt64())
}

func scrape(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range fams {
		if _, err := expfmt.MetricFamilyToText(&b, f); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// TestWatcher_restarts: each bot restart (a new pid in the pid file) gives
// the next collection a new resource with the new pid, in the reports'
// merge, over OTLP and in Prometheus; the old provider is shut down, and
// after many restarts and Shutdown no goroutine is left.
func TestWatcher_restarts(t *testing.T) {
	before := goleak.IgnoreCurrent()
	health, agentReader := metrictest.NewProvider(t)
	reg := prometheus.NewRegistry()
	exp := &recordingExporter{}
	pidFile := filepath.Join(t.TempDir(), "bot.pid")
	base := resource.NewSchemaless(attribute.String("service.name", "nexusmon"), attribute.String("host.name", "h"),
		attribute.Int("process.pid", os.Getpid()), attribute.String("process.runtime.version", "go"))
	w, err := New(Options{PIDFile: pidFile, Base: base, Health: health, Registerer: reg, Exporter: exp,
		ReaderOptions: []sdkmetric.PeriodicReaderOption{sdkmetric.WithInterval(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	var seen []int
	for i := range 8 {
		child := startChild(t)
		pid := child.Process.Pid
		writePID(t, pidFile, pid)
		rm := collectOnce(t, w, agentReader)
		if got := resourcePID(t, w.Resource()); got != pid {
			t.Fatalf("restart %d: resource process.pid = %d, want %d", i, got, pid)
		}
		if v, _ := w.Resource().Set().Value(keyExec); v.AsString() != "sleep" {
			t.Errorf("restart %d: process.executable.name = %q", i, v.AsString())
		}
		if _, ok := w.Resource().Set().Value("process.runtime.version"); ok {
			t.Error("the agent's process.runtime.version is on the watched process's resource")
		}
		if v, _ := w.Resource().Set().Value("service.name"); v.AsString() != "nexusmon" {
			t.Errorf("service.name = %q, want the base's", v.AsString())
		}
		// The reports' merge: the process points carry the pid.
		rss := metrictest.Find(t, rm, names.ScopeProcess, names.ProcessMemoryUsage)
		if _, ok := metrictest.Value(rss, attribute.Int(names.AttrProcessPID, pid)); !ok || metrictest.Points(rss) != 1 {
			t.Errorf("restart %d: merged process.memory.usage = %+v, want one point with pid %d", i, rss.Data, pid)
		}
		if v, ok := metrictest.Value(metrictest.Find(t, rm, names.ScopeCollect, names.CollectorSuccess),
			attribute.String(names.AttrCollector, "process")); !ok || v != 1 {
			t.Errorf("restart %d: success = %v (%v), want 1 in the same collection", i, v, ok)
		}
		// Prometheus: the pid is a label from the resource; no target_info
		// from the process's exporter (the registry has no other here).
		page := scrape(t, reg)
		if !strings.Contains(page, `process_pid="`+strconv.Itoa(pid)+`"`) || !strings.Contains(page, "process_memory_usage_bytes{") {
			t.Errorf("restart %d: /metrics lacks the process with its pid:\n%s", i, page)
		}
		if strings.Contains(page, "target_info") {
			t.Errorf("restart %d: the process exporter serves target_info", i)
		}
		for _, old := range seen {
			if strings.Contains(page, `process_pid="`+strconv.Itoa(old)+`"`) {
				t.Errorf("restart %d: /metrics still serves the old pid %d", i, old)
			}
		}
		seen = append(seen, pid)

		// The bot exits; the pid file still names it: same resource,
		// status not_found.
		kill(child)
		rm = collectOnce(t, w, agentReader)
		if got := resourcePID(t, w.Resource()); got != pid {
			t.Errorf("after exit: resource process.pid = %d, want %d", got, pid)
		}
		status := metrictest.Find(t, rm, names.ScopeProcess, names.ProcessStatus)
		if _, ok := metrictest.Value(status, attribute.Int(names.AttrProcessPID, pid),
			attribute.String(names.AttrProcessState, "not_found")); !ok || metrictest.Points(status) != 1 {
			t.Errorf("after exit: process.status = %+v, want {pid %d, not_found}", status.Data, pid)
		}
	}
	// While running, only the current provider's reader is left: the
	// replaced ones were shut down (in the background: poll by attempts).
	for i := 0; periodicReaders() != 1; i++ {
		if i == 200 {
			t.Fatalf("%d PeriodicReaders running after %d restarts, want 1 (the current provider's)", periodicReaders(), len(seen))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := w.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Every replaced provider made its final export under its own pid.
	exp.mu.Lock()
	exported := strings.Join(exp.pids, ",")
	shut := exp.shut
	exp.mu.Unlock()
	for _, pid := range seen {
		if !strings.Contains(exported, strconv.Itoa(pid)) {
			t.Errorf("no OTLP export under pid %d (exports: %s)", pid, exported)
		}
	}
	if !shut {
		t.Error("Shutdown left the OTLP exporter open")
	}
	if page := scrape(t, reg); strings.Contains(page, "process_") {
		t.Errorf("/metrics serves the process after Shutdown:\n%s", page)
	}
	goleak.VerifyNone(t, before)
}

// periodicReaders counts the running PeriodicReader goroutines.
func periodicReaders() int {
	buf := make([]byte, 1<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), "sdk/metric.(*PeriodicReader).run(")
}

// TestWatcher_noPID: a pid file that is missing or holds no pid gives no
// provider: no process point, and nexusmon.collector.success{process} 0.
func TestWatcher_noPID(t *testing.T) {
	health, agentReader := metrictest.NewProvider(t)
	pidFile := filepath.Join(t.TempDir(), "bot.pid")
	w, err := New(Options{PIDFile: pidFile, Health: health})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Shutdown(context.Background()) //nolint:errcheck // test cleanup
	for _, content := range []string{"", "not a pid\n"} {
		if content != "" {
			if err := os.WriteFile(pidFile, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		rm := collectOnce(t, w, agentReader)
		if metrictest.Has(rm, names.ScopeProcess, names.ProcessStatus) || w.PID() != 0 || w.Resource() != nil {
			t.Errorf("pid file %q: a process is named (pid %d)", content, w.PID())
		}
		if v, ok := metrictest.Value(metrictest.Find(t, rm, names.ScopeCollect, names.CollectorSuccess),
			attribute.String(names.AttrCollector, "process")); !ok || v != 0 {
			t.Errorf("pid file %q: success = %v (%v), want 0", content, v, ok)
		}
	}
}

// TestWatcher_self: neither pid nor pid file watches the calling process.
func TestWatcher_self(t *testing.T) {
	health, agentReader := metrictest.NewProvider(t)
	w, err := New(Options{Health: health})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Shutdown(context.Background()) //nolint:errcheck // test cleanup
	rm := collectOnce(t, w, agentReader)
	if w.PID() != os.Getpid() || resourcePID(t, w.Resource()) != os.Getpid() {
		t.Errorf("PID = %d, want %d", w.PID(), os.Getpid())
	}
	if !metrictest.Has(rm, names.ScopeProcess, names.ProcessThreadCount) {
		t.Error("no thread count of this process")
	}
}

func TestNew_options(t *testing.T) {
	health, _ := metrictest.NewProvider(t)
	for _, o := range []Options{{PID: 1, PIDFile: "/run/x.pid", Health: health}, {PID: -1, Health: health}, {}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
}

// TestWatcher_pidReused: the same pid with another start time is another
// process: it gets a new provider (and resource). A pid without a process
// has a provider without an executable name until the process appears.
func TestWatcher_pidReused(t *testing.T) {
	proc := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(proc, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("stat", "cpu  1 1 1 1\nbtime 1700000000\n")
	write("meminfo", "MemTotal:       4000 kB\n")
	health, agentReader := metrictest.NewProvider(t)
	w, err := New(Options{PID: 42, Health: health, ProcRoot: proc})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Shutdown(context.Background()) //nolint:errcheck // test cleanup
	execName := func() string {
		v, _ := w.Resource().Set().Value(keyExec)
		return v.AsString()
	}

	rm := collectOnce(t, w, agentReader) // no /proc/42 yet
	absent := w.Resource()
	if resourcePID(t, absent) != 42 || execName() != "" {
		t.Errorf("resource without a process = %v", absent.Attributes())
	}
	if _, ok := metrictest.Value(metrictest.Find(t, rm, names.ScopeProcess, names.ProcessStatus),
		attribute.Int(names.AttrProcessPID, 42), attribute.String(names.AttrProcessState, "not_found")); !ok {
		t.Error("no not_found status for pid 42")
	}

	write("42/stat", "42 (bot one) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 12345 1000 100 0 0 0\n")
	write("42/statm", "1000 200 50 10 0 300 0\n")
	collectOnce(t, w, agentReader)
	first := w.Resource()
	if first == absent || execName() != "bot one" {
		t.Errorf("the process that appeared kept the resource of its absence: %v", first.Attributes())
	}
	collectOnce(t, w, agentReader)
	if w.Resource() != first {
		t.Error("the same process got a new resource")
	}

	write("42/stat", "42 (bot two) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 99999 1000 100 0 0 0\n")
	rm = collectOnce(t, w, agentReader)
	if w.Resource() == first || execName() != "bot two" || resourcePID(t, w.Resource()) != 42 {
		t.Errorf("a process reusing pid 42 kept the old resource: %v", w.Resource().Attributes())
	}
	if v, ok := metrictest.Value(metrictest.Find(t, rm, names.ScopeProcess, names.ProcessCreationTime)); !ok || v != 1_700_000_999.99 {
		t.Errorf("creation time = %v (%v), want the second process's", v, ok)
	}
}
