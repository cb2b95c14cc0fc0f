//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// e2eLog is the JSON log of a nexusmon process, line by line.
type e2eLog struct {
	t     *testing.T
	lines chan map[string]any
}

// waitFor returns the first line from now on whose msg is msg (and, when
// level is not "", whose level is level), failing after 30 s.
func (l *e2eLog) waitFor(msg, level string) map[string]any {
	l.t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case m, ok := <-l.lines:
			if !ok {
				l.t.Fatalf("the log ended before %q", msg)
			}
			if m["msg"] == msg && (level == "" || m["level"] == level) {
				return m
			}
		case <-timeout:
			l.t.Fatalf("no %q in the log", msg)
		}
	}
}

// freeLoopbackAddr returns a loopback address with a port free right now.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// buildNexusmon builds the command into dir and returns the binary's path.
func buildNexusmon(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "nexusmon")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestSIGHUP_endToEnd builds nexusmon, runs it on loopback-only settings
// and reloads it with SIGHUP: a valid file applies (its log level makes the
// "config reloaded" line visible at all), an invalid one is refused with
// every problem logged and the process keeps running on the old config;
// SIGTERM then stops it with exit 0.
func TestSIGHUP_endToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := buildNexusmon(t, dir)
	addr := freeLoopbackAddr(t)
	cfgPath := filepath.Join(dir, "nexusmon.yaml")
	write := func(extra string) {
		t.Helper()
		base := fmt.Sprintf("storage: {path: %q}\noutput: {jsonl: %q, console: \"off\"}\nhttp: {listen: %q}\nprobes: {discord_api: \"\", internet: []}\n",
			filepath.Join(dir, "n.db"), filepath.Join(dir, "e.jsonl"), addr)
		if err := os.WriteFile(cfgPath, []byte(base+extra), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("log: {level: warn}\n")

	cmd := exec.Command(bin, "run", "--config", cfgPath, "--log-format", "json")
	cmd.Env = append(os.Environ(), "OTEL_EXPORTER_OTLP_ENDPOINT=", "OTEL_SDK_DISABLED=", "DISCORD_TOKEN=", "DISCORD_WEBHOOK_URL=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill() //nolint:errcheck // best effort after a failure
			cmd.Wait()         //nolint:errcheck
		}
	})
	log := &e2eLog{t: t, lines: make(chan map[string]any, 1000)}
	go func() {
		defer close(log.lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				m = map[string]any{"msg": "not JSON: " + sc.Text()}
			}
			log.lines <- m
		}
	}()
	healthz := func() int {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, err := http.Get("http://" + addr + "/healthz")
			if err == nil {
				resp.Body.Close()
				return resp.StatusCode
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET /healthz: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if code := healthz(); code != http.StatusOK {
		t.Fatalf("/healthz = %d before reload", code)
	}

	write("log: {level: info}\nthresholds: {memory_percent: {warning: 40, critical: 60}}\n")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	m := log.waitFor("config reloaded", "INFO") // at warn, as before the reload, it would not be logged
	if changed := fmt.Sprint(m["changed"]); !strings.Contains(changed, "thresholds") || !strings.Contains(changed, "log.level") {
		t.Errorf("reload changed %s, want thresholds and log.level", changed)
	}

	write("log: {level: error}\nthresholds: {memory_percent: {warning: 95, critical: 60}}\nreports: {system: {mode: sometimes}}\n")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	var problems []string
	for len(problems) < 2 {
		m := log.waitFor("config reload refused", "ERROR")
		if p, ok := m["problem"].(string); ok {
			problems = append(problems, p)
		}
	}
	joined := strings.Join(problems, "\n")
	for _, want := range []string{cfgPath + ":6: thresholds.memory_percent", cfgPath + ":7: reports.system.mode"} {
		if !strings.Contains(joined, want) {
			t.Errorf("logged problems lack %q:\n%s", want, joined)
		}
	}
	log.waitFor("config reload refused; the running configuration is kept", "ERROR")
	if code := healthz(); code != http.StatusOK {
		t.Errorf("/healthz = %d after a refused reload", code)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	log.waitFor("nexusmon stopped", "INFO") // still at info: the refused file's level error was not applied
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v, want 0", err)
	}
}
