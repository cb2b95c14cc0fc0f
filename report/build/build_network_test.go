package build

import (
	"math"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

func TestNetworkReport_Golden(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		cur, prev *reportdata.Snapshot
	}{
		"network":           {reporttest.FullSnapshot(1), reporttest.FullSnapshot(0)},
		"network_no_probes": {reporttest.BareSnapshot(testTime, 41), nil},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := BuildNetworkData(c.cur, c.prev)
			checkReportGolden(t, name, NetworkReport(d, c.cur.Time, "host-1", reportdata.DefaultThresholds()))
		})
	}
}

func TestBuildNetworkData(t *testing.T) {
	t.Parallel()
	d := BuildNetworkData(reporttest.FullSnapshot(1), reporttest.FullSnapshot(0))
	if d.DiscordAPI == nil || !d.DiscordAPI.OK || d.DiscordAPI.ResponseMS != 212 || d.DiscordAPI.Status != 200 ||
		d.DiscordAPI.DNSMS != 21.2 || d.DiscordAPI.AvailabilityPercent != 100 {
		t.Errorf("discord_api = %+v", d.DiscordAPI)
	}
	if len(d.Internet) != 2 {
		t.Fatalf("internet = %+v", d.Internet)
	}
	down := d.Internet[0] // sorted by URL: https://1.1.1.1 first
	if down.URL != "https://1.1.1.1" || down.OK || down.ErrorType != "timeout" || down.AvailabilityPercent != 97 {
		t.Errorf("failed probe = %+v", down)
	}
	bc := d.BotConnection
	if !bc.Attached || !bc.Connected || bc.LatencyMS == nil || *bc.LatencyMS != 42 || bc.Quality != QualityExcellent ||
		*bc.Reconnects != 1 || *bc.Resumes != 3 {
		t.Errorf("bot_connection = %+v", bc)
	}
	// With a session, network_ms is the gateway latency.
	if d.NetworkMS == nil || *d.NetworkMS != 42 {
		t.Errorf("network_ms = %v, want 42", d.NetworkMS)
	}
	if v := APIResponseMS(d); v != 212 {
		t.Errorf("response_ms = %v, want 212", v)
	}

	// No probes, no bot: every key still there, nothing made up.
	d = BuildNetworkData(reporttest.BareSnapshot(testTime, 41), nil)
	if d.DiscordAPI != nil || len(d.Internet) != 0 || d.Internet == nil || d.BotConnection.Attached ||
		d.BotConnection.Quality != QualityUnknown || d.NetworkMS != nil || !math.IsNaN(APIResponseMS(d)) {
		t.Errorf("empty network data = %+v", d)
	}
}

func TestNetworkMS_MedianWithoutSession(t *testing.T) {
	t.Parallel()
	s := reportdata.NewSnapshot(testTime, nil)
	for _, p := range []reporttest.ProbeSpec{
		{URL: "https://a.example", Kind: ProbeKindInternet, OK: true, Status: 204, TotalMS: 90, Availability: 1},
		{URL: "https://b.example", Kind: ProbeKindInternet, OK: true, Status: 204, TotalMS: 30, Availability: 1},
		{URL: "https://c.example", Kind: ProbeKindInternet, OK: true, Status: 200, TotalMS: 50, Availability: 1},
		{URL: "https://d.example", Kind: ProbeKindInternet, OK: false, TotalMS: 5000, Availability: 0.5, ErrType: "dns", ErrCount: 3},
		{URL: "https://discord.com/api/v10/gateway", Kind: ProbeKindDiscordAPI, OK: false, TotalMS: 12, ErrType: "connect", ErrCount: 1},
	} {
		reporttest.AddProbe(s, p)
	}
	d := BuildNetworkData(s, nil)
	if d.NetworkMS == nil || *d.NetworkMS != 50 {
		t.Errorf("network_ms = %v, want the median of the successful probes, 50", d.NetworkMS)
	}
	if d.Internet[3].ErrorType != "dns" {
		t.Errorf("error type without prev = %q, want dns", d.Internet[3].ErrorType)
	}
	// A failed (not timed out) Discord probe carries no response time.
	if v := APIResponseMS(d); !math.IsNaN(v) {
		t.Errorf("response_ms of a failed probe = %v, want NaN", v)
	}
	rep := NetworkReport(d, testTime, "h", reportdata.DefaultThresholds())
	if rep.Level.String() != "Critical" {
		t.Errorf("Discord unreachable: level %s, want Critical", rep.Level)
	}
	samples := NetworkSamples(d)
	if _, ok := samples[SeriesAPI]; ok {
		t.Error("failed API probe stored as a sample")
	}
	if samples[SeriesNetwork] != 50 || samples[SeriesProbeAvailability] != 0 {
		t.Errorf("samples = %v", samples)
	}
}

func TestLatencyQuality(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		ms   float64
		want string
	}{
		{0, QualityExcellent}, {99.9, QualityExcellent}, {100, QualityGood}, {199, QualityGood},
		{200, QualityFair}, {499, QualityFair}, {500, QualityPoor}, {5000, QualityPoor},
		{math.NaN(), QualityUnknown}, {-1, QualityUnknown},
	} {
		if got := latencyQuality(c.ms); got != c.want {
			t.Errorf("latencyQuality(%v) = %s, want %s", c.ms, got, c.want)
		}
	}
	// Disconnected: no grade from a stale latency.
	s := reportdata.NewSnapshot(testTime.Add(time.Second), nil)
	reporttest.AddBot(s, false, 42, 5, 0)
	if q := BuildNetworkData(s, nil).BotConnection.Quality; q != QualityUnknown {
		t.Errorf("disconnected quality = %s", q)
	}
}
