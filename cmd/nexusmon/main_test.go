package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
