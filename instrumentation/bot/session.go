package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"

	"github.com/nexusmon/nexusmon/instrumentation/bot/gatewaytap"
	"github.com/nexusmon/nexusmon/internal/names"
)

// ErrFatalClose is returned by the observed session's gateway dialer after
// the gateway closed the connection with a fatal close code: the session
// must not connect again (see SessionOptions.OnFatal).
var ErrFatalClose = errors.New("gateway closed with a fatal close code")

// FatalCloseCode reports whether the gateway close code means "do not
// reconnect": authentication failed (4004), invalid shard (4010), sharding
// required (4011), invalid API version (4012), invalid intents (4013) or
// disallowed intents (4014).
// https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-gateway-close-event-codes
func FatalCloseCode(code int) bool {
	switch code {
	case 4004, 4010, 4011, 4012, 4013, 4014:
		return true
	}
	return false
}

// SessionOptions configures ObserveSession. Every field is optional.
type SessionOptions struct {
	// MeterProvider receives the session instruments (scope
	// names.ScopeBot); normally the one given to NewInstruments. Nil
	// means no instruments: Snapshot still works.
	MeterProvider metric.MeterProvider
	// Router, when set, feeds discord.modules and discord.commands.
	Router *Router
	// OnFatal is called once, on a goroutine of the observer, when the
	// gateway closes the connection with a fatal close code (see
	// FatalCloseCode). By then the session has stopped reconnecting.
	OnFatal func(code int, reason string)
	// Logger receives the fatal close (at error level). Nil means the
	// Instruments' logger.
	Logger *slog.Logger
	// Now is the clock for uptime and latency. Nil means the Instruments'
	// clock.
	Now func() time.Time
}

// SessionState is a copy of what a SessionObserver knows about its session.
type SessionState struct {
	Connected bool
	// Guilds counts the available guilds; Users sums their member_count
	// (Discord's total, no privileged intent needed); Channels sums their
	// channels.
	Guilds, Users, Channels int
	// Latency is the last gateway round trip (heartbeat to ACK) of the
	// current connection; negative when unknown.
	Latency time.Duration
	// Uptime is the time since the READY of the current gateway session
	// (it continues across RESUMEs); 0 while disconnected or unknown.
	Uptime              time.Duration
	ShardID, ShardCount int
	// Reconnects counts Connect events after the first, Resumes RESUMED
	// dispatches and Ready READY dispatches.
	Reconnects, Resumes, Ready int
	// Disconnects counts ended connections by the close code the gateway
	// sent; 0 means no close frame (a dropped connection, or one the tap
	// could not read).
	Disconnects   map[int]int
	LastCloseCode int
	// Fatal reports that the gateway closed with a fatal code and the
	// session stopped reconnecting.
	Fatal bool
}

// SessionObserver measures one discordgo session. Create it with
// Instruments.ObserveSession; its methods are safe for concurrent use.
type SessionObserver struct {
	s       *discordgo.Session
	router  *Router
	onFatal func(int, string)
	log     *slog.Logger
	now     func() time.Time
	base    time.Time // origin of the monotonic nanosecond stamps below

	removers []func()
	reg      metric.Registration

	orig *websocket.Dialer // the session's dialer before ours
	ours *websocket.Dialer
	via  gatewaytap.Dial // how orig dials
	gen  atomic.Uint64   // connections dialed

	latency     atomic.Int64 // ns, -1 unknown
	pendingCode atomic.Int32 // close code of the connection whose Disconnect is due
	fatal       atomic.Bool
	closed      atomic.Bool

	connected   atomic.Bool
	seenConnect atomic.Bool
	// seenEvent: a Connect or Disconnect event came after ObserveSession.
	// Until then the session's DataReady, last read into dataReady, stands
	// for connected (see up).
	seenEvent  atomic.Bool
	dataReady  atomic.Bool
	readyAt    atomic.Int64 // ns since base of the last READY; -1 none
	shardID    atomic.Int64
	shardCount atomic.Int64
	reconnects atomic.Int64
	resumes    atomic.Int64
	readies    atomic.Int64
	guilds     atomic.Int64
	users      atomic.Int64
	channels   atomic.Int64

	mu          sync.Mutex // guards the fields below
	gs          map[string]sessGuild
	sumMembers  int64
	sumChannels int64
	disc        map[int]int64
	discOpts    map[int]metric.ObserveOption
	lastCode    int

	// changed receives a value, without blocking, after every change of
	// what Snapshot returns: one waiter (a test) can wait for the next
	// change instead of polling.
	changed chan struct{}

	wg        sync.WaitGroup // OnFatal calls
	closeOnce sync.Once
	closeErr  error
}

// ObserveSession instruments s: it registers discordgo event handlers
// (Ready, Resumed, Connect, Disconnect, GuildCreate, GuildUpdate,
// GuildDelete, ChannelCreate, ChannelDelete) and the observable
// instruments discord.gateway.connected, discord.guilds, discord.users,
// discord.channels, discord.gateway.latency, discord.session.uptime,
// discord.shard.id, discord.shard.count, discord.gateway.reconnects,
// discord.gateway.resumes, discord.gateway.ready,
// discord.gateway.disconnects (by discord.gateway.close_code) and, with a
// Router, discord.modules and discord.commands.
//
// It also gives s a new websocket Dialer (s.Dialer is replaced, never
// modified) that reads the gateway traffic to measure the heartbeat round
// trip and to see close codes. For wss:// it makes the TLS connection with
// crypto/tls and s.Dialer's TLSClientConfig (nil: the platform's roots),
// which verifies the gateway's certificate as gorilla/websocket would, and
// reads the frames above it; it keeps s.Dialer's dial functions (its own
// NetDialTLSContext too) and handshake settings. s.Dialer's Proxy is asked
// with a request for the gateway's scheme://host:port only, and reached with
// gorilla/websocket's own proxy client (http:// with CONNECT, socks5://);
// with a NetDialTLSContext of its own, Proxy is not used for wss://, which
// gorilla/websocket cannot combine either (gorilla/websocket#779).
//
// Call it before s.Open. Called on an open session it still works, but
// latency and close codes stay unknown until the next reconnect, and
// counts start from what State holds. It takes the session's lock, so do
// not call it from an event handler with SyncEvents set.
//
// On a fatal close code (see FatalCloseCode) on an established connection
// the observer closes the session before discordgo sees the close frame, so
// discordgo does not reconnect (ShouldReconnectOnError is left alone: it
// cannot be written race-free while discordgo runs). It counts the
// disconnect with its code, logs an error and calls OnFatal once. From then
// on its dialer refuses to connect (ErrFatalClose): a fatal close answering
// an IDENTIFY or RESUME inside discordgo's own reconnect loop, which no
// flag can stop in v0.29.0, cannot reach the gateway again either; that
// loop keeps asking GET /gateway at its backoff (at most every 10 minutes)
// until the process ends. A fatal close answering the first Open makes
// Open return the close error.
func (in *Instruments) ObserveSession(s *discordgo.Session, opts SessionOptions) (*SessionObserver, error) {
	if s == nil {
		return nil, errors.New("observe session: nil session")
	}
	o := &SessionObserver{
		s:        s,
		router:   opts.Router,
		onFatal:  opts.OnFatal,
		log:      opts.Logger,
		now:      opts.Now,
		gs:       make(map[string]sessGuild),
		disc:     make(map[int]int64),
		discOpts: make(map[int]metric.ObserveOption),
		changed:  make(chan struct{}, 1),
	}
	if o.log == nil && in != nil {
		o.log = in.log
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if o.now == nil && in != nil {
		o.now = in.now
	}
	if o.now == nil {
		o.now = time.Now
	}
	o.base = o.now()
	o.latency.Store(-1)
	o.readyAt.Store(-1)

	mp := opts.MeterProvider
	if mp == nil {
		mp = metricnoop.NewMeterProvider()
	}
	if err := o.register(mp.Meter(names.ScopeBot)); err != nil {
		return nil, err
	}

	// Initial values, for a session that is already open.
	s.RLock()
	o.dataReady.Store(s.DataReady)
	o.shardID.Store(int64(s.ShardID))
	o.shardCount.Store(int64(max(s.ShardCount, 1)))
	s.RUnlock()
	if o.stateOn() {
		s.State.RLock()
		opened := s.State.SessionID != ""
		s.State.RUnlock()
		o.seenConnect.Store(opened)
	}
	o.refreshAll(nil)

	o.removers = []func(){
		s.AddHandler(o.onReady),
		s.AddHandler(o.onResumed),
		s.AddHandler(o.onConnect),
		s.AddHandler(o.onDisconnect),
		s.AddHandler(o.onGuildCreate),
		s.AddHandler(o.onGuildUpdate),
		s.AddHandler(o.onGuildDelete),
		s.AddHandler(o.onChannelCreate),
		s.AddHandler(o.onChannelDelete),
	}

	// Open reads s.Dialer under the session lock.
	s.Lock()
	o.orig = s.Dialer
	o.via = gatewaytap.NewDial(o.orig)
	o.ours = gatewaytap.NewDialer(o.orig, o.dial, o.dialTLS)
	s.Dialer = o.ours
	s.Unlock()
	return o, nil
}

// register creates the instruments and their one callback.
func (o *SessionObserver) register(m metric.Meter) error {
	var errs []error
	gaugeI := func(name, unit, desc string) metric.Int64ObservableGauge {
		g, err := m.Int64ObservableGauge(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return g
	}
	gaugeF := func(name, unit, desc string) metric.Float64ObservableGauge {
		g, err := m.Float64ObservableGauge(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return g
	}
	counterI := func(name, unit, desc string) metric.Int64ObservableCounter {
		c, err := m.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	connected := gaugeI(names.DiscordConnected, "1", "1 while the gateway connection is up.")
	guilds := gaugeI(names.DiscordGuilds, "{guild}", "Available guilds.")
	users := gaugeI(names.DiscordUsers, "{user}", "Sum of the member_count of the available guilds.")
	channels := gaugeI(names.DiscordChannels, "{channel}", "Channels of the available guilds.")
	latency := gaugeF(names.DiscordLatency, "s", "Last gateway heartbeat round trip.")
	uptime := gaugeF(names.DiscordUptime, "s", "Time since the READY of the current gateway session.")
	shardID := gaugeI(names.DiscordShardID, "", "Shard id of the session.")
	shardCount := gaugeI(names.DiscordShardCount, "{shard}", "Shard count of the session.")
	reconnects := counterI(names.DiscordReconnects, "{reconnect}", "Gateway connections after the first.")
	resumes := counterI(names.DiscordResumes, "{resume}", "Gateway sessions resumed.")
	ready := counterI(names.DiscordReady, "{ready}", "READY dispatches (new gateway sessions).")
	disconnects := counterI(names.DiscordDisconnects, "{disconnect}",
		"Ended gateway connections by close code (0: no close frame).")
	insts := []metric.Observable{connected, guilds, users, channels, latency, uptime, shardID, shardCount,
		reconnects, resumes, ready, disconnects}
	var modules, commands metric.Int64ObservableGauge
	if o.router != nil {
		modules = gaugeI(names.DiscordModules, "{module}", "Command modules registered.")
		commands = gaugeI(names.DiscordCommands, "{command}", "Application commands registered.")
		insts = append(insts, modules, commands)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("create session instruments: %w", err)
	}
	reg, err := m.RegisterCallback(func(_ context.Context, ob metric.Observer) error {
		up := o.up()
		ob.ObserveInt64(connected, b2i(up))
		ob.ObserveInt64(guilds, o.guilds.Load())
		ob.ObserveInt64(users, o.users.Load())
		ob.ObserveInt64(channels, o.channels.Load())
		if l := o.latency.Load(); up && l >= 0 {
			ob.ObserveFloat64(latency, time.Duration(l).Seconds())
		}
		if u, ok := o.uptime(up); ok {
			ob.ObserveFloat64(uptime, u.Seconds())
		}
		ob.ObserveInt64(shardID, o.shardID.Load())
		ob.ObserveInt64(shardCount, o.shardCount.Load())
		ob.ObserveInt64(reconnects, o.reconnects.Load())
		ob.ObserveInt64(resumes, o.resumes.Load())
		ob.ObserveInt64(ready, o.readies.Load())
		o.mu.Lock()
		for code, n := range o.disc {
			ob.ObserveInt64(disconnects, n, o.discOpts[code])
		}
		o.mu.Unlock()
		if o.router != nil {
			ob.ObserveInt64(modules, int64(o.router.Modules()))
			ob.ObserveInt64(commands, int64(o.router.Commands()))
		}
		return nil
	}, insts...)
	if err != nil {
		return fmt.Errorf("register session callback: %w", err)
	}
	o.reg = reg
	return nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// up reports whether the gateway connection is up. Until the first Connect
// or Disconnect event after ObserveSession it reads s.DataReady: discordgo
// sets it only after its first heartbeat, which comes after Open returns,
// so a session observed right after Open may not have it yet. The session
// lock is only tried, never waited for (Open and Close hold it for
// seconds): when it is taken, the last value read stands.
func (o *SessionObserver) up() bool {
	if !o.seenEvent.Load() && o.s.TryRLock() {
		o.dataReady.Store(o.s.DataReady)
		o.s.RUnlock()
	}
	if o.seenEvent.Load() {
		return o.connected.Load()
	}
	return o.dataReady.Load()
}

// since returns the monotonic nanoseconds since o.base.
func (o *SessionObserver) since() int64 { return int64(o.now().Sub(o.base)) }

func (o *SessionObserver) uptime(connected bool) (time.Duration, bool) {
	at := o.readyAt.Load()
	if !connected || at < 0 {
		return 0, false
	}
	return max(time.Duration(o.since()-at), 0), true
}

// Snapshot returns what the observer knows now.
func (o *SessionObserver) Snapshot() SessionState {
	up := o.up()
	st := SessionState{
		Connected:  up,
		Guilds:     int(o.guilds.Load()),
		Users:      int(o.users.Load()),
		Channels:   int(o.channels.Load()),
		Latency:    -1,
		ShardID:    int(o.shardID.Load()),
		ShardCount: int(o.shardCount.Load()),
		Reconnects: int(o.reconnects.Load()),
		Resumes:    int(o.resumes.Load()),
		Ready:      int(o.readies.Load()),
		Fatal:      o.fatal.Load(),
	}
	if l := o.latency.Load(); up && l >= 0 {
		st.Latency = time.Duration(l)
	}
	st.Uptime, _ = o.uptime(up)
	o.mu.Lock()
	st.Disconnects = make(map[int]int, len(o.disc))
	for code, n := range o.disc {
		st.Disconnects[code] = int(n)
	}
	st.LastCloseCode = o.lastCode
	o.mu.Unlock()
	return st
}

// Close removes the event handlers, unregisters the callback and gives the
// session back its own dialer (unless someone replaced ours meanwhile). It
// waits for a running OnFatal call. A connection the observer's dialer
// opened stays up; it is no longer measured.
func (o *SessionObserver) Close() error {
	o.closeOnce.Do(func() {
		o.closed.Store(true)
		for _, rm := range o.removers {
			rm()
		}
		o.s.Lock()
		if o.s.Dialer == o.ours {
			o.s.Dialer = o.orig
		}
		o.s.Unlock()
		if err := o.reg.Unregister(); err != nil {
			o.closeErr = fmt.Errorf("unregister session callback: %w", err)
		}
		o.wg.Wait()
	})
	return o.closeErr
}

// dial is the tap Dialer's dial function for ws://.
func (o *SessionObserver) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	return o.tap(func() (net.Conn, error) { return o.via.Plain(ctx, "http", network, addr) })
}

// dialTLS is the tap Dialer's dial function for wss://: the connection it
// returns has done its TLS handshake.
func (o *SessionObserver) dialTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	return o.tap(func() (net.Conn, error) { return o.via.Secure(ctx, network, addr) })
}

// tap returns the connection open makes, wrapped for the tap, unless the
// gateway closed with a fatal code.
func (o *SessionObserver) tap(open func() (net.Conn, error)) (net.Conn, error) {
	if o.fatal.Load() {
		return nil, fmt.Errorf("dial gateway: %w", ErrFatalClose)
	}
	c, err := open()
	if err != nil {
		return nil, err
	}
	gen := o.gen.Add(1)
	o.latency.Store(-1)
	o.notify()
	return gatewaytap.NewConn(c, tapSink{o}, gen), nil
}

// notify tells a waiter on changed that the state changed.
func (o *SessionObserver) notify() {
	select {
	case o.changed <- struct{}{}:
	default:
	}
}

// tapSink is the observer as the gateway tap's Sink: a type of its own, so
// that SessionObserver gets no exported methods of the tap's.
type tapSink struct{ *SessionObserver }

// Heartbeat implements gatewaytap.Sink.
func (o tapSink) Heartbeat(c *gatewaytap.Conn) {
	c.HeartbeatSent.Store(o.since() + 1) // +1: 0 means none
}

// Ack implements gatewaytap.Sink.
func (o tapSink) Ack(c *gatewaytap.Conn) {
	sent := c.HeartbeatSent.Swap(0)
	if sent == 0 || c.Gen() != o.gen.Load() {
		return
	}
	o.latency.Store(max(o.since()-(sent-1), 0))
	o.notify()
}

// CloseFrame implements gatewaytap.Sink. It runs on the goroutine that reads the
// connection, before discordgo sees the close frame.
//
// A fatal close on an established connection is held back from discordgo
// (the tap's Conn keeps the frame's last byte) while another goroutine closes the
// session. When discordgo's listen loop then gets the close frame, the
// session's connection is no longer the one it reads, so it returns
// without calling reconnect. ShouldReconnectOnError is never written: in
// v0.29.0 it is read without a lock by the goroutine that reconnects, so no
// write from outside could be ordered before that read.
func (o tapSink) CloseFrame(_ *gatewaytap.Conn, code int, reason string, established bool) <-chan struct{} {
	if o.closed.Load() {
		return nil
	}
	fatal := FatalCloseCode(code)
	if established {
		o.pendingCode.Store(int32(code))
	} else {
		// discordgo's Open fails on this frame: no Disconnect event will
		// come for this connection.
		o.countDisconnect(code)
	}
	if !fatal || !o.fatal.CompareAndSwap(false, true) {
		return nil
	}
	o.notify()
	reason = Sanitize(reason)
	o.log.Error("discord gateway closed with a fatal close code; the session will not reconnect",
		"close_code", code, "reason", reason)
	var hold chan struct{}
	if established {
		hold = make(chan struct{})
		o.wg.Add(1)
		go func() {
			defer o.wg.Done()
			defer close(hold)
			if err := o.s.Close(); err != nil {
				o.log.Warn("close session after fatal close code", "error", Sanitize(err.Error()))
			}
		}()
	}
	if o.onFatal != nil {
		o.wg.Add(1)
		go func() {
			defer o.wg.Done()
			defer func() {
				if v := recover(); v != nil {
					o.log.Error("OnFatal panicked", "panic", Sanitize(fmt.Sprint(v)))
				}
			}()
			o.onFatal(code, reason)
		}()
	}
	if hold == nil {
		return nil
	}
	return hold
}

func (o *SessionObserver) countDisconnect(code int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.discOpts[code]; !ok {
		o.discOpts[code] = metric.WithAttributeSet(attribute.NewSet(attribute.Int(names.AttrCloseCode, code)))
	}
	o.disc[code]++
	o.lastCode = code
	o.notify()
}

func (o *SessionObserver) onConnect(*discordgo.Session, *discordgo.Connect) {
	if o.seenConnect.Swap(true) {
		o.reconnects.Add(1)
	}
	o.connected.Store(true)
	o.seenEvent.Store(true)
	o.notify()
}

func (o *SessionObserver) onDisconnect(*discordgo.Session, *discordgo.Disconnect) {
	o.connected.Store(false)
	o.seenEvent.Store(true)
	o.countDisconnect(int(o.pendingCode.Swap(0)))
}

func (o *SessionObserver) onResumed(*discordgo.Session, *discordgo.Resumed) {
	o.resumes.Add(1)
	o.notify()
}

func (o *SessionObserver) onReady(s *discordgo.Session, r *discordgo.Ready) {
	o.readies.Add(1)
	o.readyAt.Store(o.since())
	if r.Shard != nil && r.Shard[1] > 0 {
		o.shardID.Store(int64(r.Shard[0]))
		o.shardCount.Store(int64(r.Shard[1]))
	}
	if o.stateOn() {
		o.refreshAll(nil)
		return
	}
	o.refreshAll(r.Guilds) // without State the event is ours alone
}
