package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/nexusmon/nexusmon/instrumentation/bot/gatewaytap"
	"github.com/nexusmon/nexusmon/internal/discordtest"
	"github.com/nexusmon/nexusmon/internal/names"
)

const (
	sessGuildA = "1100000000000000100"
	sessGuildB = "1100000000000000200"
)

// sessGuilds are two guilds with 10 + 25 members and 3 + 2 channels.
var sessGuilds = discordtest.WithGuilds(
	discordtest.Guild{ID: sessGuildA, Name: "A", MemberCount: 10, Channels: []discordtest.Channel{
		{ID: "1100000000000000101", Name: "a1"}, {ID: "1100000000000000102", Name: "a2"}, {ID: "1100000000000000103", Name: "a3", Type: 2},
	}},
	discordtest.Guild{ID: sessGuildB, Name: "B", MemberCount: 25, Channels: []discordtest.Channel{
		{ID: "1100000000000000201", Name: "b1"}, {ID: "1100000000000000202", Name: "b2"},
	}},
)

// sessHarness is a real discordgo session against the fake Discord,
// observed with a ManualReader behind the MeterProvider.
type sessHarness struct {
	fake   *discordtest.Server
	s      *discordgo.Session
	in     *Instruments
	reader *sdkmetric.ManualReader
	obs    *SessionObserver
	fatals chan [2]any
	logMu  sync.Mutex
	logs   bytes.Buffer
}

func newSessHarness(t *testing.T, router func(*Instruments) *Router, fakeOpts ...discordtest.Option) *sessHarness {
	t.Helper()
	h := &sessHarness{fake: discordtest.New(t, fakeOpts...), reader: sdkmetric.NewManualReader(), fatals: make(chan [2]any, 4)}
	h.s = h.fake.NewSession(t)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))
	in, err := NewInstruments(mp, nil, InstrumentOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := in.Close(); err != nil {
			t.Error(err)
		}
	})
	h.in = in
	opts := SessionOptions{
		MeterProvider: mp,
		OnFatal:       func(code int, reason string) { h.fatals <- [2]any{code, reason} },
		Logger:        slog.New(slog.NewTextHandler(&lockedWriter{w: &h.logs, mu: &h.logMu}, nil)),
	}
	if router != nil {
		opts.Router = router(in)
	}
	h.obs, err = in.ObserveSession(h.s, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.obs.Close(); err != nil {
			t.Error(err)
		}
	})
	return h
}

func (h *sessHarness) collect(t *testing.T) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := h.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	return rm
}

func (h *sessHarness) log() string {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	return h.logs.String()
}

// sessWait waits until cond, which reads o's Snapshot, holds: it checks
// cond again after each change o reports. The 10 s limit only stops a test
// that would otherwise hang. Only one sessWait may run per observer.
func sessWait(t *testing.T, o *SessionObserver, what string, cond func() bool) {
	t.Helper()
	limit := time.NewTimer(10 * time.Second)
	defer limit.Stop()
	for !cond() {
		select {
		case <-o.changed:
		case <-limit.C:
			t.Fatalf("timed out waiting for %s: %+v", what, o.Snapshot())
		}
	}
}

// sessGaugeF returns the single point of the float64 gauge name.
func sessGaugeF(rm metricdata.ResourceMetrics, name string) (float64, bool) {
	m, ok := findMetric(rm, name)
	if !ok {
		return 0, false
	}
	g, ok := m.Data.(metricdata.Gauge[float64])
	if !ok || len(g.DataPoints) != 1 {
		return 0, false
	}
	return g.DataPoints[0].Value, true
}

func sessCode(code int) attribute.KeyValue { return attribute.Int(names.AttrCloseCode, code) }

func TestObserveSession_Connect(t *testing.T) {
	t.Parallel()
	h := newSessHarness(t, func(in *Instruments) *Router {
		r := NewRouter(in)
		if err := r.Add(Module{Name: "util", Commands: []Command{
			{Definition: chat("ping"), Handler: ok}, {Definition: chat("info"), Handler: ok},
		}}); err != nil {
			t.Fatal(err)
		}
		return r
	}, sessGuilds, discordtest.WithHeartbeatInterval(100*time.Millisecond))
	orig := h.obs.orig
	if h.s.Dialer == orig || h.s.Dialer == websocket.DefaultDialer {
		t.Fatal("session dialer not replaced")
	}
	if err := h.s.Open(); err != nil {
		t.Fatal(err)
	}
	sessWait(t, h.obs, "two guilds and a latency", func() bool {
		st := h.obs.Snapshot()
		return st.Guilds == 2 && st.Latency >= 0
	})
	st := h.obs.Snapshot()
	if !st.Connected || st.Users != 35 || st.Channels != 5 || st.Ready != 1 || st.Reconnects != 0 ||
		st.ShardID != 0 || st.ShardCount != 1 || st.Fatal || len(st.Disconnects) != 0 {
		t.Errorf("snapshot = %+v", st)
	}

	rm := h.collect(t)
	for name, want := range map[string]int64{
		names.DiscordConnected: 1, names.DiscordGuilds: 2, names.DiscordUsers: 35, names.DiscordChannels: 5,
		names.DiscordShardID: 0, names.DiscordShardCount: 1, names.DiscordModules: 1, names.DiscordCommands: 2,
	} {
		if got, ok := gauge(rm, name); !ok || got != want {
			t.Errorf("%s = %d (found %v), want %d", name, got, ok, want)
		}
	}
	if got := counter(rm, names.DiscordReady); got != 1 {
		t.Errorf("%s = %d, want 1", names.DiscordReady, got)
	}
	if got := counter(rm, names.DiscordReconnects); got != 0 {
		t.Errorf("%s = %d, want 0", names.DiscordReconnects, got)
	}
	if v, ok := sessGaugeF(rm, names.DiscordLatency); !ok || v < 0 {
		t.Errorf("%s = %v (found %v), want a value >= 0", names.DiscordLatency, v, ok)
	}
	if v, ok := sessGaugeF(rm, names.DiscordUptime); !ok || v < 0 {
		t.Errorf("%s = %v (found %v), want a value >= 0", names.DiscordUptime, v, ok)
	}

	// Guild and channel events keep the counts.
	h.fake.Dispatch("GUILD_DELETE", map[string]any{"id": sessGuildB})
	sessWait(t, h.obs, "guild B gone", func() bool { return h.obs.Snapshot().Guilds == 1 })
	h.fake.Dispatch("CHANNEL_CREATE", map[string]any{"id": "1100000000000000104", "type": 0, "guild_id": sessGuildA, "name": "a4"})
	sessWait(t, h.obs, "channel a4", func() bool { return h.obs.Snapshot().Channels == 4 })
	if st := h.obs.Snapshot(); st.Users != 10 {
		t.Errorf("users after GUILD_DELETE = %d, want 10", st.Users)
	}
	h.fake.Dispatch("CHANNEL_DELETE", map[string]any{"id": "1100000000000000101", "type": 0, "guild_id": sessGuildA, "name": "a1"})
	sessWait(t, h.obs, "channel a1 gone", func() bool { return h.obs.Snapshot().Channels == 3 })

	if err := h.obs.Close(); err != nil {
		t.Fatal(err)
	}
	h.s.RLock()
	restored := h.s.Dialer == orig
	h.s.RUnlock()
	if !restored {
		t.Error("Close did not give the session its dialer back")
	}
	if _, ok := gauge(h.collect(t), names.DiscordGuilds); ok {
		t.Error("callback still registered after Close")
	}
}

func TestObserveSession_DropResumes(t *testing.T) {
	t.Parallel()
	h := newSessHarness(t, nil)
	if err := h.s.Open(); err != nil {
		t.Fatal(err)
	}
	sessWait(t, h.obs, "connected", func() bool { return h.obs.Snapshot().Connected })
	h.fake.DropAll()
	sessWait(t, h.obs, "resumed", func() bool {
		st := h.obs.Snapshot()
		return st.Resumes == 1 && st.Reconnects == 1 && st.Connected
	})
	if got := h.fake.Resumes(); got != 1 {
		t.Errorf("fake resumes = %d, want 1", got)
	}
	st := h.obs.Snapshot()
	if st.Disconnects[0] != 1 || len(st.Disconnects) != 1 || st.Fatal || st.Ready != 1 || st.Guilds != 1 {
		t.Errorf("snapshot = %+v", st)
	}
	rm := h.collect(t)
	if got := counter(rm, names.DiscordDisconnects, sessCode(0)); got != 1 {
		t.Errorf("disconnects{close_code=0} = %d, want 1", got)
	}
	if got := counter(rm, names.DiscordResumes); got != 1 {
		t.Errorf("resumes = %d, want 1", got)
	}
	if got := counter(rm, names.DiscordReconnects); got != 1 {
		t.Errorf("reconnects = %d, want 1", got)
	}
	if got, _ := gauge(rm, names.DiscordConnected); got != 1 {
		t.Errorf("connected = %d, want 1", got)
	}
}

// sessLabel is the pprof label sessOpen puts on the goroutines of a
// session: goroutines inherit the labels of the goroutine that starts them.
const sessLabel = "nexusmon_test_session"

// sessOpen opens s on a goroutine labelled sessLabel=id, so that every
// goroutine discordgo starts for s, then or later (listen, heartbeat,
// reconnect, event handlers), carries the label.
func sessOpen(s *discordgo.Session, id string) error {
	var err error
	pprof.Do(context.Background(), pprof.Labels(sessLabel, id), func(context.Context) { err = s.Open() })
	return err
}

// sessRunning counts the goroutines labelled sessLabel=id that are in
// discordgo code, and those that have not started yet (their stack is
// empty: they may be about to run discordgo code).
func sessRunning(t *testing.T, id string) (inDiscordgo, unstarted int) {
	t.Helper()
	var b bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&b, 1); err != nil {
		t.Fatal(err)
	}
	// debug=1: a header line, then blank-line separated groups of
	// goroutines with one stack: "N @ pcs", "# labels: {...}", then one
	// "#\t" line per frame.
	_, groups, _ := strings.Cut(b.String(), "\n")
	label := fmt.Sprintf("# labels: {%q:%q}", sessLabel, id)
	for _, g := range strings.Split(groups, "\n\n") {
		if !strings.Contains(g, label) {
			continue
		}
		var k int
		if _, err := fmt.Sscanf(g, "%d @", &k); err != nil {
			t.Fatalf("goroutine profile group %q: %v", g, err)
		}
		switch {
		case strings.Contains(g, "\tgithub.com/bwmarrin/discordgo."):
			inDiscordgo += k
		case !strings.Contains(g, "#\t"):
			unstarted += k
		}
	}
	return inDiscordgo, unstarted
}

// sessPoll polls cond every 10 ms. Goroutines starting or ending have no
// event to wait on; the 10 s limit only stops a test that would otherwise
// hang.
func sessPoll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	limit := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(limit) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestObserveSession_FatalClose(t *testing.T) {
	t.Parallel()
	h := newSessHarness(t, nil)
	if err := sessOpen(h.s, t.Name()); err != nil {
		t.Fatal(err)
	}
	// The labelled goroutines are visible (else the wait below could
	// not see a reconnect loop either).
	sessPoll(t, "a labelled goroutine in discordgo", func() bool { n, _ := sessRunning(t, t.Name()); return n > 0 })
	sessWait(t, h.obs, "connected", func() bool { return h.obs.Snapshot().Connected })
	h.fake.CloseAll(4014)
	select {
	case f := <-h.fatals:
		if f[0] != 4014 {
			t.Errorf("OnFatal code = %v, want 4014", f[0])
		}
	case <-time.After(10 * time.Second):
		t.Fatal("OnFatal not called")
	}
	sessWait(t, h.obs, "disconnect counted", func() bool {
		st := h.obs.Snapshot()
		return st.Disconnects[4014] == 1 && !st.Connected
	})
	// Had discordgo seen the close frame on its current connection, its
	// listen goroutine would now be in reconnect's loop for good (each dial
	// refused with ErrFatalClose): the session's goroutines would never
	// leave discordgo.
	sessPoll(t, "the session's goroutines to end", func() bool {
		n, unstarted := sessRunning(t, t.Name())
		return n == 0 && unstarted == 0
	})
	if got := h.fake.Connections(); got != 1 {
		t.Errorf("gateway connections = %d, want 1", got)
	}
	st := h.obs.Snapshot()
	if !st.Fatal || st.LastCloseCode != 4014 || len(st.Disconnects) != 1 {
		t.Errorf("snapshot = %+v", st)
	}
	rm := h.collect(t)
	if got := counter(rm, names.DiscordDisconnects, sessCode(4014)); got != 1 {
		t.Errorf("disconnects{close_code=4014} = %d, want 1", got)
	}
	if got, _ := gauge(rm, names.DiscordConnected); got != 0 {
		t.Errorf("connected = %d, want 0", got)
	}
	if l := h.log(); !strings.Contains(l, "close_code=4014") || strings.Contains(l, h.fake.Token()) {
		t.Errorf("log = %q", l)
	}
	// A manual retry does not reach the gateway either.
	if err := h.s.Open(); !errors.Is(err, ErrFatalClose) {
		t.Errorf("Open after fatal close = %v, want ErrFatalClose", err)
	}
	if got := h.fake.Connections(); got != 1 {
		t.Errorf("gateway connections = %d after Open, want 1", got)
	}
}

// hbGate is a gateway connection that holds the session's heartbeats
// (op 1, found by the tap's own Conn, which parses each write before it
// passes it on) until open is closed. discordgo sets DataReady only after
// its first heartbeat is written.
type hbGate struct {
	net.Conn
	open <-chan struct{}
	hb   atomic.Bool // the write being passed on is a heartbeat
}

func newHBGate(c net.Conn, open <-chan struct{}) net.Conn {
	return gatewaytap.NewConn(&hbGate{Conn: c, open: open}, hbSink{}, 0)
}

func (g *hbGate) Write(b []byte) (int, error) {
	if g.hb.Swap(false) {
		<-g.open
	}
	return g.Conn.Write(b)
}

// hbSink marks the gate's next write as a heartbeat.
type hbSink struct{}

func (hbSink) Heartbeat(c *gatewaytap.Conn) { c.Conn.(*hbGate).hb.Store(true) }
func (hbSink) Ack(*gatewaytap.Conn)         {}
func (hbSink) CloseFrame(*gatewaytap.Conn, int, string, bool) <-chan struct{} {
	return nil
}

// TestObserveSession_AfterOpen observes a session between Open's return
// and its first heartbeat, when discordgo has not set DataReady yet.
func TestObserveSession_AfterOpen(t *testing.T) {
	t.Parallel()
	fake := discordtest.New(t, sessGuilds)
	s := fake.NewSession(t)
	release := make(chan struct{})
	var released sync.Once
	// Registered after NewSession's cleanup, so it runs first: closing the
	// session needs the heartbeat's write lock.
	t.Cleanup(func() { released.Do(func() { close(release) }) })
	s.Dialer = &websocket.Dialer{HandshakeTimeout: 5 * time.Second,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return newHBGate(c, release), nil
		}}
	dataReady := func() bool {
		s.RLock()
		defer s.RUnlock()
		return s.DataReady
	}
	ready := make(chan struct{}, 2)
	s.AddHandler(func(*discordgo.Session, *discordgo.GuildCreate) { ready <- struct{}{} })
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	<-ready
	<-ready
	reader := sdkmetric.NewManualReader()
	o, err := (*Instruments)(nil).ObserveSession(s, SessionOptions{
		MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := o.Close(); err != nil {
			t.Error(err)
		}
	})
	if dataReady() {
		t.Fatal("DataReady set before the first heartbeat was written")
	}
	released.Do(func() { close(release) })
	// DataReady is set right after the heartbeat is written; no event
	// tells when.
	sessPoll(t, "DataReady", dataReady)
	// Counts come from State; latency is unknown until a reconnect.
	st := o.Snapshot()
	if !st.Connected || st.Guilds != 2 || st.Users != 35 || st.Channels != 5 || st.Latency >= 0 || st.Uptime != 0 {
		t.Errorf("snapshot = %+v", st)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	if got, _ := gauge(rm, names.DiscordConnected); got != 1 {
		t.Errorf("connected = %d, want 1", got)
	}
	fake.DropAll()
	sessWait(t, o, "reconnected", func() bool { st := o.Snapshot(); return st.Reconnects == 1 && st.Connected })
}

func TestFatalCloseCode(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]bool{
		0: false, 1000: false, 1006: false, 4000: false, 4004: true, 4007: false, 4009: false,
		4010: true, 4011: true, 4012: true, 4013: true, 4014: true, 4015: false,
	} {
		if got := FatalCloseCode(code); got != want {
			t.Errorf("FatalCloseCode(%d) = %v, want %v", code, got, want)
		}
	}
}
