package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/nexusmon/nexusmon/internal/discordtest"
)

// loadInstances and loadInterval are the measuring point: 100
// instances exporting every 10 s.
const (
	loadInstances = 100
	loadInterval  = 10 * time.Second
)

// TestFleet_Load100 measures the gateway with 100 instances exporting every
// 10 s: each sends what a real agent sends (testdata/agent-export.json, one
// agent's OTLP export captured through the test collector, with the
// instance's own resource and the current time). The gateway must list every
// instance in its overview; its CPU time and peak RSS over the run are
// logged. It runs only when NEXUSMON_FLEET_LOAD is set to the duration to
// measure (e.g. 2m):
//
//	cd otel-config/fleet && NEXUSMON_FLEET_LOAD=2m go test -run Load100 -v .
func TestFleet_Load100(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("NEXUSMON_FLEET_LOAD"))
	if err != nil {
		t.Skip("set NEXUSMON_FLEET_LOAD to a duration (e.g. 2m) to measure the gateway")
	}
	gatewayBin := binary(t, "NEXUSMON_FLEET", ".", ".")
	b, err := os.ReadFile("testdata/agent-export.json")
	if err != nil {
		t.Fatal(err)
	}
	template, err := (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics(b)
	if err != nil {
		t.Fatal(err)
	}
	srv := discordtest.New(t)
	dir := t.TempDir()
	grpcAddr := freeAddr(t)
	cfg := filepath.Join(dir, "gateway.yaml")
	writeFile(t, cfg, fmt.Sprintf(`extensions:
  file_storage/discord: { directory: %s, create_directory: true }
receivers:
  otlp: { protocols: { grpc: { endpoint: "%s" } } }
processors:
  memory_limiter: { check_interval: 1s, limit_percentage: 80, spike_limit_percentage: 20 }
  batch: {}
exporters:
  discord:
    discord: { token: "${env:DISCORD_TOKEN}", channel_id: "%s", api_url: "%s" }
    reports: { overview: { interval: 10s, mode: edit } }
    storage: file_storage/discord
service:
  telemetry: { metrics: { level: none } }
  extensions: [file_storage/discord]
  pipelines:
    metrics: { receivers: [otlp], processors: [memory_limiter, batch], exporters: [discord] }
`, filepath.Join(dir, "state"), grpcAddr, discordtest.DefaultChannel2ID, srv.URL))
	gw := start(t, dir, "gateway", gatewayBin, []string{"--config=" + cfg}, []string{"DISCORD_TOKEN=" + srv.Token()})
	waitFor(t, 60*time.Second, "the gateway to be ready", func() bool { return dialable(grpcAddr) })

	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := pmetricotlp.NewGRPCClient(conn)
	round := func() {
		now := pcommon.NewTimestampFromTime(time.Now())
		for i := 0; i < loadInstances; i++ {
			md := pmetric.NewMetrics()
			template.CopyTo(md)
			stamp(md, i, now)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := client.Export(ctx, pmetricotlp.NewExportRequestFromMetrics(md))
			cancel()
			if err != nil {
				t.Fatalf("export of instance %d: %v", i, err)
			}
		}
	}
	round() // warm-up: every instance known
	pid := gw.cmd.Process.Pid
	cpu0, wall0 := cpuSeconds(t, pid), time.Now()
	for time.Since(wall0) < d {
		next := time.Now().Add(loadInterval)
		round()
		time.Sleep(time.Until(next))
	}
	cpu, wall := cpuSeconds(t, pid)-cpu0, time.Since(wall0)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "an overview of 100 instances", func() bool {
		ovs := overviews(srv, "loadbot")
		return len(ovs) == 1 && len(rows(t, ovs[0])) == loadInstances
	})
	t.Logf("gateway, %d instances every %s, over %s: CPU %.2f s = %.2f %% of one core; %s, %s",
		loadInstances, loadInterval, wall.Round(time.Second), cpu, 100*cpu/wall.Seconds(),
		procField(status, "VmHWM"), procField(status, "VmRSS"))
	gw.stop(t)
}

// stamp gives md the resource of instance i and the time now.
func stamp(md pmetric.Metrics, i int, now pcommon.Timestamp) {
	rms := md.ResourceMetrics()
	for r := 0; r < rms.Len(); r++ {
		res := rms.At(r).Resource().Attributes()
		res.PutStr("service.name", "loadbot")
		res.PutStr("service.instance.id", "loadbot-"+strconv.Itoa(i))
		res.PutStr("discord.shard.id", strconv.Itoa(i))
		res.PutStr("host.name", "load-host-"+strconv.Itoa(i%10))
		sms := rms.At(r).ScopeMetrics()
		for s := 0; s < sms.Len(); s++ {
			ms := sms.At(s).Metrics()
			for m := 0; m < ms.Len(); m++ {
				setTime(ms.At(m), now)
			}
		}
	}
}

func setTime(m pmetric.Metric, now pcommon.Timestamp) {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		for i := 0; i < m.Gauge().DataPoints().Len(); i++ {
			m.Gauge().DataPoints().At(i).SetTimestamp(now)
		}
	case pmetric.MetricTypeSum:
		for i := 0; i < m.Sum().DataPoints().Len(); i++ {
			m.Sum().DataPoints().At(i).SetTimestamp(now)
		}
	case pmetric.MetricTypeHistogram:
		for i := 0; i < m.Histogram().DataPoints().Len(); i++ {
			m.Histogram().DataPoints().At(i).SetTimestamp(now)
		}
	}
}

// cpuSeconds is the user and system CPU time of pid (clock ticks of 1/100 s).
func cpuSeconds(t *testing.T, pid int) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, err1 := strconv.ParseFloat(fields[11], 64)
	stime, err2 := strconv.ParseFloat(fields[12], 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("parse /proc/%d/stat: %v %v", pid, err1, err2)
	}
	return (utime + stime) / 100
}

func procField(status []byte, key string) string {
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, key+":") {
			return key + " " + strings.Join(strings.Fields(strings.TrimPrefix(line, key+":")), " ")
		}
	}
	return key + " n/a"
}
