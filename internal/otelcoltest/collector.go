package otelcoltest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bounds on the collector's life cycle. They cap how long a broken collector
// can hold a test up; a healthy one takes well under a second for each.
const (
	readyTimeout = 60 * time.Second
	stopTimeout  = 10 * time.Second
	pollInterval = 25 * time.Millisecond
)

// readyLine is what the collector logs once every pipeline is running.
const readyLine = "Everything is ready. Begin running and processing data."

// Names of the files in each run's directory.
const (
	metricsFile = "metrics.jsonl"
	tracesFile  = "traces.jsonl"
	logFile     = "collector.log"
	configFile  = "collector.yaml"
)

// logTail is how much of a collector log a failing test prints.
const logTail = 16 << 10

// Collector is a running test collector. Its methods are safe for concurrent
// use.
type Collector struct {
	// GRPCEndpoint is the OTLP/gRPC receiver, "127.0.0.1:PORT". Pass it to
	// otlpmetricgrpc.WithEndpoint / otlptracegrpc.WithEndpoint together with
	// WithInsecure, or as OTEL_EXPORTER_OTLP_ENDPOINT="http://"+GRPCEndpoint.
	GRPCEndpoint string
	// HTTPEndpoint is the OTLP/HTTP receiver, "127.0.0.1:PORT". Pass it to
	// otlpmetrichttp.WithEndpoint / otlptracehttp.WithEndpoint together with
	// WithInsecure, or as OTEL_EXPORTER_OTLP_ENDPOINT="http://"+HTTPEndpoint.
	HTTPEndpoint string
	// OutDir is the test's directory for this collector. It holds the
	// configuration (collector.yaml) and one directory per run, run-1,
	// run-2, ... (see Restart), each with metrics.jsonl, traces.jsonl and
	// collector.log (the collector's stdout and stderr).
	OutDir string

	bin string

	mu   sync.Mutex
	runs int       // runs started so far; the current or last is run-<runs>
	cmd  *exec.Cmd // nil when stopped
	done chan struct{}
}

// Start runs a collector on two free loopback ports with a fresh OutDir
// (t.TempDir()) and waits, bounded, until both receivers accept connections.
// t.Cleanup stops it; if the test failed, the collector's log is printed.
func Start(t testing.TB) *Collector {
	t.Helper()
	c := &Collector{bin: Binary(t), OutDir: t.TempDir()}
	cfg := filepath.Join(c.OutDir, configFile)
	if err := os.WriteFile(cfg, collectorConfig, 0o644); err != nil {
		t.Fatalf("otelcoltest: write %s: %v", cfg, err)
	}
	t.Cleanup(func() {
		c.Stop(t)
		if t.Failed() {
			c.logLogs(t)
		}
	})
	// Free ports are found by binding and releasing them, so another process
	// can take one before the collector binds it. Such a collector exits at
	// once; try again with new ports.
	const attempts = 3
	var err error
	for range attempts {
		var grpcPort, httpPort int
		grpcPort, httpPort, err = freePorts()
		if err != nil {
			t.Fatalf("otelcoltest: %v", err)
		}
		c.GRPCEndpoint = net.JoinHostPort("127.0.0.1", strconv.Itoa(grpcPort))
		c.HTTPEndpoint = net.JoinHostPort("127.0.0.1", strconv.Itoa(httpPort))
		if err = c.start(); err == nil || !errors.Is(err, errAddrInUse) {
			break
		}
	}
	if err != nil {
		t.Fatalf("otelcoltest: %v", err)
	}
	return c
}

// Stop stops the collector now: SIGTERM, then SIGKILL if it has not exited
// within a bound. Data received before Stop has been written to the files.
// Stopping a stopped collector does nothing.
func (c *Collector) Stop(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.stopLocked(); err != nil {
		t.Errorf("otelcoltest: %v", err)
	}
}

// Restart starts the collector again on the same ports, stopping it first if
// it is running. The new run writes to new files in OutDir/run-<n>; Metrics
// and Spans read the files of every run.
func (c *Collector) Restart(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	err := c.stopLocked()
	c.mu.Unlock()
	if err != nil {
		t.Fatalf("otelcoltest: %v", err)
	}
	if err := c.start(); err != nil {
		t.Fatalf("otelcoltest: restart: %v", err)
	}
}

// errAddrInUse marks a collector that exited because a port was taken.
var errAddrInUse = errors.New("address already in use")

// start runs the collector as run-<runs+1> and waits until it is ready.
func (c *Collector) start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd != nil {
		return errors.New("start collector: already running")
	}
	c.runs++
	dir := c.runDir(c.runs)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	logPath := filepath.Join(dir, logFile)
	logf, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("create %s: %w", logPath, err)
	}
	// The child has its own descriptor; ours is no longer needed once it
	// started (or failed to).
	defer logf.Close()

	_, grpcPort, _ := net.SplitHostPort(c.GRPCEndpoint)
	_, httpPort, _ := net.SplitHostPort(c.HTTPEndpoint)
	cmd := exec.Command(c.bin, "--config="+filepath.Join(c.OutDir, configFile))
	cmd.Dir = dir
	cmd.Env = append(childEnv(os.Environ()),
		"OTLP_GRPC_PORT="+grpcPort,
		"OTLP_HTTP_PORT="+httpPort,
		"OUT_DIR="+dir,
	)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start collector %s: %w", c.bin, err)
	}
	done := make(chan struct{})
	go func() {
		// Wait's error only repeats the exit status, which the log explains.
		_ = cmd.Wait()
		close(done)
	}()
	c.cmd, c.done = cmd, done

	if err := c.waitReady(logPath, done); err != nil {
		stopErr := c.stopLocked()
		log := tail(logPath)
		if bytes.Contains(log, []byte(errAddrInUse.Error())) {
			err = fmt.Errorf("%w: %w", errAddrInUse, err)
		}
		return errors.Join(fmt.Errorf("start collector (run %d): %w\ncollector log:\n%s", c.runs, err, log), stopErr)
	}
	return nil
}

// waitReady waits until the collector logged that it is ready and both
// receivers accept connections, or until it exits or readyTimeout passes.
func (c *Collector) waitReady(logPath string, done <-chan struct{}) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		select {
		case <-done:
			return errors.New("collector exited during start-up")
		default:
		}
		if c.ready(logPath) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("collector not ready on %s and %s after %s", c.GRPCEndpoint, c.HTTPEndpoint, readyTimeout)
		}
		time.Sleep(pollInterval)
	}
}

// ready reports whether the log has the ready line and both ports accept.
func (c *Collector) ready(logPath string) bool {
	b, err := os.ReadFile(logPath)
	if err != nil || !bytes.Contains(b, []byte(readyLine)) {
		return false
	}
	for _, ep := range []string{c.GRPCEndpoint, c.HTTPEndpoint} {
		conn, err := net.DialTimeout("tcp", ep, time.Second)
		if err != nil {
			return false
		}
		_ = conn.Close() // probe connection only
	}
	return true
}

// stopLocked stops the running collector, if any. c.mu must be held.
func (c *Collector) stopLocked() error {
	if c.cmd == nil {
		return nil
	}
	cmd, done := c.cmd, c.done
	c.cmd, c.done = nil, nil
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop collector: %w", err)
	}
	select {
	case <-done:
		return nil
	case <-time.After(stopTimeout):
	}
	if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill collector: %w", err)
	}
	<-done
	return fmt.Errorf("stop collector: no exit within %s of SIGTERM; killed", stopTimeout)
}

// runDir is the output directory of run n (1-based).
func (c *Collector) runDir(n int) string {
	return filepath.Join(c.OutDir, "run-"+strconv.Itoa(n))
}

// runDirs lists the output directories of every run so far, oldest first.
func (c *Collector) runDirs() []string {
	c.mu.Lock()
	n := c.runs
	c.mu.Unlock()
	dirs := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		dirs = append(dirs, c.runDir(i))
	}
	return dirs
}

// logLogs prints the end of every run's collector log through t.
func (c *Collector) logLogs(t testing.TB) {
	t.Helper()
	for i, dir := range c.runDirs() {
		t.Logf("otelcoltest: collector log, run %d (%s):\n%s", i+1, dir, tail(filepath.Join(dir, logFile)))
	}
}

// tail returns the last logTail bytes of the file at path, or a note saying
// why it cannot.
func tail(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		return []byte(fmt.Sprintf("(read %s: %v)", path, err))
	}
	if len(b) > logTail {
		b = append([]byte("...\n"), b[len(b)-logTail:]...)
	}
	return b
}

// freePorts returns two distinct loopback ports that were free a moment ago.
func freePorts() (int, int, error) {
	var ports [2]int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close() // released for the collector to bind
		}
	}()
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, 0, fmt.Errorf("find free port: %w", err)
		}
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports[0], ports[1], nil
}

// childEnv returns env without OTEL_* variables, so that a test configuring
// its own SDK through the environment does not reconfigure the collector's
// internal telemetry.
func childEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, "OTEL_") {
			out = append(out, kv)
		}
	}
	return out
}
