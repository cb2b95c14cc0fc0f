package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/internal/discordtest"
)

// The fleet end to end: three real nexusmon agents (shards 0, 1 and 2 of one
// bot; 0 and 1 named by fleet.instance and fleet.shard, 2 by
// OTEL_RESOURCE_ATTRIBUTES) export OTLP to a real otelcol-nexusmon gateway, which posts one fleet
// overview listing the three instances to the fake Discord and edits it in
// place; shard 2 killed gives exactly one "silent" alert, and one "is back"
// once it runs again.
//
// The binaries are $NEXUSMON_FLEET and $NEXUSMON_BIN (make test builds them
// with make fleet and make build); without them the test builds its own.
func TestFleet_ThreeAgentsOneOverviewSilentShard(t *testing.T) {
	gatewayBin := binary(t, "NEXUSMON_FLEET", ".", ".")
	agentBin := binary(t, "NEXUSMON_BIN", "../..", "./cmd/nexusmon")
	srv := discordtest.New(t)
	dir := t.TempDir()

	grpc, httpAddr := freeAddr(t), freeAddr(t)
	gwConfig := filepath.Join(dir, "gateway.yaml")
	writeFile(t, gwConfig, fmt.Sprintf(`extensions:
  file_storage/discord:
    directory: %s
    create_directory: true
receivers:
  otlp:
    protocols:
      grpc: { endpoint: "%s" }
      http: { endpoint: "%s" }
processors:
  batch: { timeout: 200ms }
exporters:
  discord:
    discord:
      token: ${env:DISCORD_TOKEN}
      channel_id: "%s"
      api_url: %s
    reports:
      overview: { interval: 5s, mode: edit }
    alerts: { for: 10m }     # the machine's real load must not raise alerts here
    silent_after: 1
    storage: file_storage/discord
service:
  telemetry:
    metrics: { level: none }
  extensions: [file_storage/discord]
  pipelines:
    metrics: { receivers: [otlp], processors: [batch], exporters: [discord] }
`, filepath.Join(dir, "state"), grpc, httpAddr, discordtest.DefaultChannel2ID, srv.URL))
	gw := start(t, dir, "gateway", gatewayBin, []string{"--config=" + gwConfig}, []string{"DISCORD_TOKEN=" + srv.Token()})
	waitFor(t, 60*time.Second, "the gateway to be ready", func() bool {
		return bytes.Contains(gw.log(), []byte("Everything is ready")) && dialable(grpc) && dialable(httpAddr)
	})

	agents := make([]*proc, 3)
	startAgent := func(shard int) {
		adir := filepath.Join(dir, fmt.Sprintf("agent-%d", shard))
		if err := os.MkdirAll(adir, 0o755); err != nil {
			t.Fatal(err)
		}
		cfg := filepath.Join(adir, "nexusmon.yaml")
		// No probe: no test reaches off loopback. No discord section: the
		// agents post nothing, the gateway does.
		yaml := fmt.Sprintf("storage:\n  path: %s\noutput:\n  console: \"off\"\n  jsonl: \"\"\nhttp:\n  listen: \"\"\n"+
			"probes:\n  discord_api: \"\"\n  internet: []\n", filepath.Join(adir, "nexusmon.db"))
		// OTLP/HTTP: the default build of the agent has no gRPC.
		env := []string{"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf", "OTEL_METRIC_EXPORT_INTERVAL=1000"}
		if shard < 2 {
			// Shards 0 and 1 set everything in the file (fleet mode's keys).
			yaml += fmt.Sprintf("otlp:\n  endpoint: http://%s\n  insecure: true\n  service_name: fleetbot\n"+
				"fleet:\n  instance: fleetbot-%d\n  shard: %d\n", httpAddr, shard, shard)
		} else {
			// Shard 2 through the standard variables: both ways work.
			env = append(env, "OTEL_EXPORTER_OTLP_ENDPOINT=http://"+httpAddr, "OTEL_SERVICE_NAME=fleetbot",
				fmt.Sprintf("OTEL_RESOURCE_ATTRIBUTES=service.instance.id=fleetbot-%d,discord.shard.id=%d", shard, shard))
		}
		writeFile(t, cfg, yaml)
		agents[shard] = start(t, adir, fmt.Sprintf("agent-%d", shard), agentBin, []string{"run", "--config", cfg}, env)
	}
	for i := range agents {
		startAgent(i)
	}

	// One overview, listing the three instances, then edited in place.
	var overview discordtest.Message
	waitFor(t, 60*time.Second, "an overview of three instances, edited", func() bool {
		ovs := overviews(srv, "fleetbot")
		if len(ovs) != 1 || ovs[0].EditedAt.IsZero() {
			return false
		}
		overview = ovs[0]
		return len(rows(t, overview)) == 3
	})
	var shards []string
	for _, r := range rows(t, overview) {
		shards = append(shards, r.ID.ShardID+"/"+r.ID.InstanceID+"/"+r.Status)
	}
	if got := strings.Join(sorted(shards), " "); got != "0/fleetbot-0/ok 1/fleetbot-1/ok 2/fleetbot-2/ok" {
		t.Errorf("overview rows = %s", got)
	}

	for i, a := range agents {
		if !bytes.Contains(a.log(), []byte(fmt.Sprintf(`msg="fleet mode: no Discord destination, the fleet gateway posts for this instance" service.instance.id=fleetbot-%d discord.shard.id=%d`, i, i))) {
			t.Errorf("agent %d did not log that it runs in fleet mode", i)
		}
	}

	agents[2].kill(t)
	waitFor(t, 60*time.Second, "shard 2's silent alert", func() bool { return len(alertTitles(srv, "silent")) > 0 })
	startAgent(2)
	waitFor(t, 60*time.Second, "shard 2 back", func() bool { return len(alertTitles(srv, "is back")) > 0 })
	time.Sleep(6 * time.Second) // one more overview interval: a second alert would be posted by now

	silent, back := alertTitles(srv, "silent"), alertTitles(srv, "is back")
	if len(silent) != 1 || !strings.Contains(silent[0], "shard 2 ·") || len(back) != 1 || !strings.Contains(back[0], "shard 2 ·") {
		t.Errorf("silent alerts %q, resolved %q; want one each, naming shard 2", silent, back)
	}
	if ovs := overviews(srv, "fleetbot"); len(ovs) != 1 || ovs[0].ID != overview.ID {
		t.Errorf("%d overview messages, want the one, edited", len(ovs))
	}
	for _, a := range agents {
		a.stop(t)
	}
	gw.stop(t)
}

// binary returns $env, or builds pkg (in dir) into the test's directory.
func binary(t *testing.T, env, dir, pkg string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	out := filepath.Join(t.TempDir(), filepath.Base(env))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, b)
	}
	return out
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// freeAddr returns a loopback address no one listens on (now).
func freeAddr(t *testing.T) string {
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

func dialable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	_ = c.Close() // a probe
	return true
}

// proc is a child process whose output goes to a log file.
type proc struct {
	name, logPath string
	cmd           *exec.Cmd
	done          chan struct{}
}

func start(t *testing.T, dir, name, bin string, args, env []string) *proc {
	t.Helper()
	p := &proc{name: name, logPath: filepath.Join(dir, name+".log"), done: make(chan struct{})}
	f, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	// The kernel kills the child if the test process dies without its
	// cleanups.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		_ = p.cmd.Wait() // the exit is checked by stop, the log explains it
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.kill(t)
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", p.name, tail(p.log()))
		}
	})
	return p
}

func (p *proc) log() []byte {
	b, _ := os.ReadFile(p.logPath) // a missing log reads as empty
	return b
}

func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("kill %s: %v", p.name, err)
	}
	<-p.done
}

// stop sends SIGTERM and wants a clean exit within 20 s.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("stop %s: %v", p.name, err)
	}
	select {
	case <-p.done:
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("%s exited with %d", p.name, code)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("%s did not stop within 20 s of SIGTERM", p.name)
		p.kill(t)
	}
}

func tail(b []byte) []byte {
	if len(b) > 8000 {
		b = b[len(b)-8000:]
	}
	return b
}

func waitFor(t *testing.T, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func title(m discordtest.Message) string {
	if len(m.Embeds) == 0 {
		return ""
	}
	s, _ := m.Embeds[0]["title"].(string)
	return s
}

// overviews returns the overview messages of the bot named service.
func overviews(srv *discordtest.Server, service string) []discordtest.Message {
	var out []discordtest.Message
	for _, m := range srv.Messages(discordtest.DefaultChannel2ID) {
		if strings.Contains(title(m), "Fleet overview · "+service) {
			out = append(out, m)
		}
	}
	return out
}

// alertTitles returns the titles of every embed that contains word.
func alertTitles(srv *discordtest.Server, word string) []string {
	var out []string
	for _, m := range srv.Messages(discordtest.DefaultChannel2ID) {
		for _, e := range m.Embeds {
			if s, _ := e["title"].(string); strings.Contains(s, word) && !strings.Contains(s, "Fleet overview") {
				out = append(out, s)
			}
		}
	}
	return out
}

type row struct {
	Status string `json:"status"`
	ID     struct {
		InstanceID string `json:"service_instance_id"`
		ShardID    string `json:"shard_id"`
	} `json:"id"`
}

// rows reads the overview's fleet_overview.json rows.
func rows(t *testing.T, m discordtest.Message) []row {
	t.Helper()
	for _, f := range m.Files {
		if f.Name != "fleet_overview.json" {
			continue
		}
		var env struct {
			Data struct {
				Rows []row `json:"rows"`
			} `json:"data"`
		}
		if err := json.Unmarshal(f.Data, &env); err != nil {
			t.Fatalf("fleet_overview.json: %v", err)
		}
		return env.Data.Rows
	}
	return nil
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
