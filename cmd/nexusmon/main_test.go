package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/internal/discordtest"
)

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const badConfig = `reports:
  system:
    interval: 500ms
    mode: sometimes
thresholds:
  cpu_percent:
    warning: 90
    critical: 80
unknown_key: true
`

func TestCheckConfig(t *testing.T) {
	bad := writeFile(t, "bad.yaml", badConfig)
	code, out, errOut := runCmd(t, "check-config", "--config", bad)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stdout %q", code, out)
	}
	for _, want := range []string{
		bad + ":3: reports.system.interval",
		bad + ":4: reports.system.mode",
		bad + ":6: thresholds.cpu_percent",
		bad + ":9: unknown_key",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("check-config output lacks %q:\n%s", want, errOut)
		}
	}
	// run refuses the same file with the same messages.
	code, _, runErr := runCmd(t, "run", "--config", bad)
	if code != 1 || !strings.Contains(runErr, bad+":3: reports.system.interval") {
		t.Errorf("run on a bad config: exit %d, stderr %q", code, runErr)
	}

	good := writeFile(t, "good.yaml", "reports:\n  system:\n    interval: 10s\n")
	if code, out, errOut := runCmd(t, "check-config", "--config", good); code != 0 || !strings.Contains(out, "valid") {
		t.Errorf("good config: exit %d, %q %q", code, out, errOut)
	}
	if code, _, _ := runCmd(t, "check-config"); code != 2 {
		t.Errorf("check-config without --config: exit %d, want 2", code)
	}
}

func TestUsage(t *testing.T) {
	if code, out, _ := runCmd(t, "version"); code != 0 || !strings.HasPrefix(out, "nexusmon ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, _, errOut := runCmd(t, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
	if code, _, _ := runCmd(t); code != 2 {
		t.Errorf("no command: exit %d, want 2", code)
	}
}

func storageConfig(t *testing.T, extra string) string {
	dir := t.TempDir()
	return writeFile(t, "c.yaml", "storage:\n  path: "+filepath.Join(dir, "n.db")+"\noutput:\n  jsonl: "+filepath.Join(dir, "e.jsonl")+
		"\nhttp:\n  listen: \"\"\nprobes:\n  discord_api: \"\"\n  internet: []\n"+extra)
}

func TestTestReport(t *testing.T) {
	t.Run("console only fails", func(t *testing.T) {
		code, out, _ := runCmd(t, "test-report", "--config", storageConfig(t, ""))
		if code != 1 || !strings.Contains(out, "❌ Performance channel connectivity") || !strings.Contains(out, "✅ Data formatting") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("bot channel passes", func(t *testing.T) {
		srv := discordtest.New(t)
		cfg := storageConfig(t, "discord:\n  token: "+srv.Token()+"\n  channel_id: \""+discordtest.DefaultChannelID+"\"\n  api_url: "+srv.URL+"\n")
		code, out, errOut := runCmd(t, "test-report", "--config", cfg)
		if code != 0 || !strings.Contains(out, "5/5 checks passed") {
			t.Errorf("exit %d:\n%s\n%s", code, out, errOut)
		}
		if n := len(srv.Messages(discordtest.DefaultChannelID)); n < 3 {
			t.Errorf("%d test messages reached the channel, want the connectivity, transmission, recovery and alert ones", n)
		}
		if strings.Contains(out+errOut, srv.Token()) {
			t.Error("the token appears in the output")
		}
	})
}

// TestCheckConfig_paths: check-config and run refuse a storage.path or an
// output.jsonl the agent could not create, as FILE:LINE: KEY: message.
func TestCheckConfig_paths(t *testing.T) {
	file := writeFile(t, "file", "")
	cfg := writeFile(t, "c.yaml", "http:\n  listen: \"\"\nstorage:\n  path: "+filepath.Join(file, "data", "n.db")+
		"\noutput:\n  jsonl: "+filepath.Join(file, "e.jsonl")+"\n")
	wants := []string{
		cfg + ":4: storage.path: directory " + filepath.Join(file, "data") + " cannot be created: " + file + " is not a directory\n",
		cfg + ":6: output.jsonl: " + file + " is not a directory\n",
	}
	for _, cmd := range []string{"check-config", "run"} {
		code, out, errOut := runCmd(t, cmd, "--config", cfg)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1; stdout %q", cmd, code, out)
		}
		if errOut != strings.Join(wants, "") {
			t.Errorf("%s printed:\n%s\nwant:\n%s", cmd, errOut, strings.Join(wants, ""))
		}
	}
}

// TestRun_defaultsPaths: `run` without --config checks the embedded
// defaults' relative data/ paths against the working directory.
func TestRun_defaultsPaths(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("data", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCmd(t, "run")
	want := "(defaults): storage.path: data is not a directory\n(defaults): output.jsonl: data is not a directory\n"
	if code != 1 || errOut != want {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and:\n%s", code, errOut, want)
	}
}

// TestRun_storeOpenError: a store that passes the config check but cannot be
// opened (not a database) stops `run` with an error that names the key and
// the operation once.
func TestRun_storeOpenError(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "n.db")
	if err := os.WriteFile(db, bytes.Repeat([]byte("not a database "), 512), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, "c.yaml", "storage:\n  path: "+db+"\noutput:\n  jsonl: \"\"\nhttp:\n  listen: \"\"\nprobes:\n  discord_api: \"\"\n  internet: []\n")
	code, _, errOut := runCmd(t, "run", "--config", cfg)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "storage.path: open store "+db+": ") {
		t.Errorf("stderr does not name storage.path and the file:\n%s", errOut)
	}
	for _, s := range []string{"storage.path", "open store"} {
		if n := strings.Count(errOut, s); n != 1 {
			t.Errorf("stderr says %q %d times:\n%s", s, n, errOut)
		}
	}
}

// TestCheckConfig_otelEnvironment: check-config and run report the same
// problem for an OpenTelemetry variable the agent cannot honour, naming it.
func TestCheckConfig_otelEnvironment(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, "c.yaml", "http:\n  listen: \"\"\nstorage:\n  path: "+filepath.Join(dir, "n.db")+
		"\noutput:\n  jsonl: "+filepath.Join(dir, "e.jsonl")+"\n")
	tests := []struct{ name, value, want string }{
		{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/xml", cfg + `: OTEL_EXPORTER_OTLP_PROTOCOL: must be http/protobuf, http/json or grpc, got "http/xml"` + "\n"},
		{"OTEL_METRICS_EXPORTER", "zipkin", cfg + `: OTEL_METRICS_EXPORTER: unknown exporter "zipkin": want otlp, console, prometheus or none` + "\n"},
		{"OTEL_TRACES_EXPORTER", "prometheus", cfg + `: OTEL_TRACES_EXPORTER: unknown exporter "prometheus": want otlp, console or none` + "\n"},
		{"OTEL_METRICS_EXPORTER", "prometheus", cfg + ": OTEL_METRICS_EXPORTER: prometheus is the /metrics endpoint, which http.listen turns on; http.listen is empty\n"},
	}
	if !config.GRPCBuilt {
		tests = append(tests, struct{ name, value, want string }{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc",
			cfg + ": OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: grpc needs a binary built with -tags nexusmon_grpc (make build-grpc); use http/protobuf\n"})
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			t.Setenv(tt.name, tt.value)
			for _, cmd := range []string{"check-config", "run"} {
				code, out, errOut := runCmd(t, cmd, "--config", cfg)
				if code != 1 || errOut != tt.want {
					t.Errorf("%s: exit %d, stdout %q, stderr:\n%s\nwant exit 1 and:\n%s", cmd, code, out, errOut, tt.want)
				}
			}
		})
	}
}
