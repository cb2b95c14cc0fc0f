package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/deliver"
	"github.com/nexusmon/nexusmon/deliver/discord"
	"github.com/nexusmon/nexusmon/instrumentation/bot"
	"github.com/nexusmon/nexusmon/internal/conntrack"
	"github.com/nexusmon/nexusmon/internal/store"
	"github.com/nexusmon/nexusmon/report/build/commands"
)

// WithSession makes the agent instrument a Go bot's own discordgo session
// instead of opening one with discord.token. Pass the session before it is
// opened (so gateway latency and close codes can be measured) and call
// Agent.Start before session.Open. The agent adds its interaction handler
// (the /nexus commands and any modules added to Agent.Router) and registers
// the commands once the session is ready, unless WithoutCommandRegistration
// is given. The bot keeps ownership: Stop does not close the session.
func WithSession(s *discordgo.Session) Option { return func(o *options) { o.session = s } }

// WithoutCommandRegistration leaves application-command registration to the
// bot: nexusmon still answers /nexus (and routes its Router's modules) but
// registers nothing. Without it nexusmon creates or updates only its own
// commands and never touches the bot's (see bot.Router.Register).
func WithoutCommandRegistration() Option { return func(o *options) { o.noRegister = true } }

// registerTimeout bounds the registration of the slash commands.
const registerTimeout = time.Minute

// commandsNS is the store namespace of the commands nexusmon registered,
// one key per scope (bot.CommandLedger).
const commandsNS = "commands"

// storeLedger is the bot.CommandLedger of the agent: the names and types
// of the commands nexusmon registered, as JSON in the store, so that a
// command dropped from the router is deleted at the next start and the
// bot's own commands are never touched.
type storeLedger struct{ st *store.Store }

func (l storeLedger) Registered(ctx context.Context, scope string) ([]bot.CommandKey, error) {
	b, ok, err := l.st.Get(ctx, commandsNS, scope)
	if err != nil || !ok {
		return nil, err
	}
	var keys []bot.CommandKey
	if err := json.Unmarshal(b, &keys); err != nil {
		return nil, fmt.Errorf("decode registered commands: %w", err)
	}
	return keys, nil
}

func (l storeLedger) SetRegistered(ctx context.Context, scope string, keys []bot.CommandKey) error {
	b, err := json.Marshal(keys)
	if err != nil {
		return fmt.Errorf("encode registered commands: %w", err)
	}
	return l.st.Put(ctx, commandsNS, scope, b)
}

// errorWindow and errorBurst bound command-error messages: at most
// errorBurst per window, the rest summarised in one digest per window.
const (
	errorWindow = time.Minute
	errorBurst  = 5
)

// buildBot creates the command instruments and router, the Discord sender
// and its delivery, and the gateway session (own or the bot's).
func (a *Agent) buildBot() error {
	cfg := a.cfg
	if err := a.step("instruments"); err != nil {
		return err
	}
	var err error
	a.throttle = bot.NewThrottle(errorWindow, errorBurst, func(ev bot.ErrorEvent, _ int) { a.publishCommandError(ev) })
	a.instr, err = bot.NewInstruments(a.mp, a.tp, bot.InstrumentOptions{
		RecordUserIDs: cfg.Discord.RecordUserIDs,
		OnError:       func(ev bot.ErrorEvent) { a.offerError(ev) },
		Logger:        a.log,
		Now:           a.opts.now,
	})
	if err != nil {
		return fmt.Errorf("command instruments: %w", err)
	}
	a.router = bot.NewRouter(a.instr)
	if err := a.router.Add(a.nexusModule()); err != nil {
		return fmt.Errorf("/nexus commands: %w", err)
	}

	if err := a.step("sender"); err != nil {
		return err
	}
	switch cfg.Discord.Mode() {
	case config.DeliveryBot:
		a.sender, err = discord.NewBotSender(cfg.Discord.BotToken(), cfg.Discord.ChannelID, cfg.Discord.APIURL, discord.BotOptions{Logger: a.log, Now: a.opts.now})
	case config.DeliveryWebhook:
		a.sender, err = discord.NewWebhookSender(cfg.Discord.WebhookURL.Reveal(), discord.WebhookOptions{Logger: a.log, Now: a.opts.now})
	}
	if err != nil {
		return fmt.Errorf("discord sender: %w", err)
	}
	if a.sender != nil {
		if err := a.step("delivery"); err != nil {
			return err
		}
		a.delivery, err = deliver.NewDelivery(a.st, a.sender, deliver.DeliveryOptions{Logger: a.log, Now: a.opts.now, MeterProvider: a.mp})
		if err != nil {
			return fmt.Errorf("discord delivery: %w", err)
		}
		a.reporter.SetQueue(deliver.ReportQueue(a.delivery))
	}

	switch {
	case a.opts.session != nil:
		a.session = a.opts.session
		base := a.session.Client.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		a.origTransport = a.session.Client.Transport
		a.session.Client.Transport = bot.NewTransport(base, a.instr)
	case cfg.Discord.BotToken() != "":
		s, err := discordgo.New(cfg.Discord.BotToken())
		if err != nil {
			return fmt.Errorf("discord session: %w", err)
		}
		// Every connection of the agent's own session is dialed through
		// conns, so Stop can end an Open that Discord holds (Open takes no
		// context).
		a.conns = conntrack.New()
		base := http.DefaultTransport.(*http.Transport).Clone()
		base.DialContext = a.conns.DialContext
		rt, err := discord.NewRewriteTransport(cfg.Discord.APIURL, base)
		if err != nil {
			return fmt.Errorf("discord.api_url: %w", err)
		}
		s.Client = &http.Client{Timeout: 20 * time.Second, Transport: bot.NewTransport(rt, a.instr)}
		s.Dialer = &websocket.Dialer{
			Proxy:            http.ProxyFromEnvironment,
			HandshakeTimeout: 45 * time.Second,
			NetDialContext:   a.conns.DialContext,
		}
		s.Identify.Intents = discordgo.IntentGuilds
		s.ShouldRetryOnRateLimit = false // the agent's own calls must not sleep forever inside discordgo
		a.session, a.ownSession = s, true
	}
	if a.session == nil {
		return nil
	}
	if err := a.step("observer"); err != nil {
		return err
	}
	a.observer, err = a.instr.ObserveSession(a.session, bot.SessionOptions{MeterProvider: a.mp, Router: a.router, OnFatal: a.onGatewayFatal, Logger: a.log, Now: a.opts.now})
	if err != nil {
		return fmt.Errorf("session instruments: %w", err)
	}
	a.removers = append(a.removers,
		a.session.AddHandler(a.router.Handle),
		a.session.AddHandler(a.onReady),
		a.session.AddHandler(a.onResumed),
	)
	return a.step("handlers")
}

// Router returns the agent's command router: a Go bot adds its own modules
// here to have them traced and registered together with /nexus.
func (a *Agent) Router() *bot.Router { return a.router }

// Instruments returns the command instruments, whose Wrap traces a bot's own
// interaction handlers.
func (a *Agent) Instruments() *bot.Instruments { return a.instr }

// Wrap traces one of a bot's own handlers (see bot.Instruments.Wrap).
func (a *Agent) Wrap(module, name string, h bot.Handler) func(*discordgo.Session, *discordgo.InteractionCreate) {
	return a.instr.Wrap(module, name, h)
}

func (a *Agent) startBot(ctx context.Context) error {
	a.runCtx.Store(&ctx)
	if a.delivery != nil {
		if !a.opts.checksOnly {
			// Each start begins new live messages (DESIGN §3: "the first post
			// after start"): an edit still queued from the last run is then
			// posted as the new message, or superseded by this run's first.
			if err := a.delivery.StartNewLiveMessages(ctx, liveEditKeys(a.cfg)...); err != nil {
				return fmt.Errorf("start new live messages: %w", err)
			}
		}
		// Not ctx: Stop cancels ctx first, which would end the loop before
		// Delivery.Stop could drain the outbox (Delivery.Stop cancels it).
		a.delivery.Start(context.WithoutCancel(ctx))
	}
	a.goBackground(func() {
		t := time.NewTicker(errorWindow)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if d := a.throttle.Flush(a.opts.now()); d != nil {
					a.publishDigest(d)
				}
			}
		}
	})
	if a.ownSession && !a.opts.checksOnly {
		a.goBackground(func() { a.connect(ctx) })
	}
	return nil
}

// liveEditKeys are the edit keys of every report (whatever its mode now:
// one that was in edit mode last run must not resume its old message either).
func liveEditKeys(cfg *config.Config) []string {
	var keys []string
	for _, rc := range reportIntervals(cfg) {
		keys = append(keys, string(rc.event))
	}
	return keys
}

// connect opens the agent's own gateway session, retrying with backoff: a
// Discord outage at start must not stop the agent.
func (a *Agent) connect(ctx context.Context) {
	backoff := time.Second
	for {
		// Stop cancels ctx: close the connections Open may be blocked on.
		abort := context.AfterFunc(ctx, a.conns.CloseAll)
		err := a.session.Open()
		abort()
		if err == nil {
			if !a.sessionState.CompareAndSwap(sessionConnecting, sessionOpen) {
				// Stop began during Open and did not see the session open:
				// close it here, or it stays connected (and reconnecting).
				a.noReconnect()
				if err := a.session.Close(); err != nil {
					a.log.Warn("close discord session", "err", err)
				}
			}
			return
		}
		if ctx.Err() != nil {
			return // Stop ended the attempt
		}
		a.log.Warn("discord gateway: cannot connect; retrying", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		if a.gatewayFatal.Load() {
			return
		}
		backoff = min(2*backoff, 5*time.Minute)
	}
}

func (a *Agent) onReady(s *discordgo.Session, r *discordgo.Ready) {
	if a.opts.noRegister {
		return
	}
	appID := ""
	if r.Application != nil {
		appID = r.Application.ID
	}
	if appID == "" && r.User != nil {
		appID = r.User.ID
	}
	a.registerOnce.Do(func() {
		a.goBackground(func() {
			parent := context.Background()
			if p := a.runCtx.Load(); p != nil {
				parent = *p // Stop cancels it: a slow registration does not hold Stop up
			}
			ctx, cancel := context.WithTimeout(parent, registerTimeout)
			defer cancel()
			if err := a.router.Register(ctx, s, appID, a.cfg.Discord.GuildID, storeLedger{a.st}); err != nil {
				a.log.Error("register slash commands", "err", err)
				return
			}
			scope := "globally"
			if a.cfg.Discord.GuildID != "" {
				scope = "in guild " + a.cfg.Discord.GuildID
			}
			a.log.Info("slash commands registered "+scope, "commands", a.router.Commands())
		})
	})
}

// onResumed announces that Discord is reachable again after a drop.
func (a *Agent) onResumed(_ *discordgo.Session, _ *discordgo.Resumed) {
	a.goBackground(func() {
		if err := a.reporter.Info(context.Background(), "discord_gateway", "Discord gateway reachable again: the session resumed"); err != nil {
			a.log.Warn("publish resume notice", "err", err)
		}
	})
}

func (a *Agent) onGatewayFatal(code int, reason string) {
	a.gatewayFatal.Store(true)
	a.log.Error("discord gateway closed with a fatal code; not reconnecting", "code", code, "reason", reason)
	a.goBackground(func() {
		msg := fmt.Sprintf("Discord closed the gateway with code %d (%s): nexusmon does not reconnect; fix the token or intents and restart", code, reason)
		if err := a.reporter.Info(context.Background(), "discord_gateway", msg); err != nil {
			a.log.Warn("publish gateway notice", "err", err)
		}
	})
}

func (a *Agent) offerError(ev bot.ErrorEvent) {
	if d := a.throttle.Offer(ev, a.opts.now()); d != nil {
		a.publishDigest(d)
	}
}

func (a *Agent) publishCommandError(ev bot.ErrorEvent) {
	rep := commands.ErrorReport(commands.CommandError{
		Command: ev.Command, Module: ev.Module, ErrorType: ev.ErrorType, Message: ev.Message,
		GuildID: ev.GuildID, ChannelID: ev.ChannelID, InteractionID: ev.InteractionID,
		Duration: ev.Duration, Goroutines: ev.Goroutines, HeapAlloc: ev.HeapAlloc, At: ev.At, Panic: ev.Panic,
		Remote: ev.Remote,
	}, hostName(a.res))
	if err := a.reporter.PublishError(context.Background(), rep); err != nil {
		a.log.Warn("publish command error", "err", err)
	}
}

func (a *Agent) publishDigest(d *bot.ErrorDigest) {
	dg := commands.ErrorDigest{Start: d.Start, End: d.End, Suppressed: d.Suppressed}
	for _, c := range d.Counts {
		dg.Counts = append(dg.Counts, commands.ErrorCount{Command: c.Command, Module: c.Module, ErrorType: c.ErrorType, Count: c.Count})
	}
	if err := a.reporter.PublishError(context.Background(), commands.DigestReport(dg, hostName(a.res))); err != nil {
		a.log.Warn("publish error digest", "err", err)
	}
}

// stopBot closes the session (when the agent owns it), the instruments and
// the delivery, in that order, within ctx.
func (a *Agent) stopBot(ctx context.Context) []error {
	var errs []error
	for _, rm := range a.removers {
		rm()
	}
	if a.ownSession && a.session != nil && a.sessionState.Swap(sessionStopped) == sessionOpen {
		a.noReconnect()
		if err := a.session.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close discord session: %w", err))
		}
	}
	if a.opts.session != nil && a.session != nil {
		a.session.Client.Transport = a.origTransport
	}
	if a.observer != nil {
		if err := a.observer.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if a.instr != nil {
		if err := a.instr.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if d := a.throttle.Flush(a.opts.now()); d != nil {
		a.publishDigest(d)
	}
	if a.delivery != nil {
		// Leave the meter and tracer providers a second of the deadline.
		dctx := ctx
		if dl, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			dctx, cancel = context.WithDeadline(ctx, dl.Add(-time.Second))
			defer cancel()
		}
		if err := a.delivery.Stop(dctx); err != nil {
			// What is left in the outbox goes out after the next start; what
			// only the memory queue held (the store could not write) is lost,
			// and err says how many.
			a.log.Warn("discord delivery stopped with messages pending", "err", err)
		}
	}
	return errs
}

var errNoDestination = errors.New("no Discord destination configured: set discord.token and discord.channel_id, or discord.webhook_url")

// States of the agent's own gateway session: connect moves it from
// connecting to open, stopBot to stopped; whichever comes second closes an
// open session, so one opened while Stop runs is not left connected.
const (
	sessionConnecting int32 = iota
	sessionOpen
	sessionStopped
)

// botState is the agent's Discord wiring.
type botState struct {
	instr         *bot.Instruments
	router        *bot.Router
	throttle      *bot.Throttle
	sender        discord.Sender
	delivery      *deliver.Delivery
	session       *discordgo.Session
	ownSession    bool
	origTransport http.RoundTripper
	observer      *bot.SessionObserver
	removers      []func()
	registerOnce  sync.Once
	runCtx        atomic.Pointer[context.Context] // the running agent's context, set by startBot
	sessionState  atomic.Int32                    // sessionConnecting, sessionOpen, sessionStopped
	conns         *conntrack.Tracker              // the own session's connections (nil for a bot's session)
	gatewayFatal  atomic.Bool
}

// noReconnect turns discordgo's reconnect-on-error off before the agent
// closes its own session. discordgo reads the field without a lock; its
// heartbeat and listen goroutines call Close (which takes the session's
// lock) right before they read it, so writing it under that lock orders
// this write before a read that follows a failure they meet from now on.
func (a *Agent) noReconnect() {
	a.session.Lock()
	a.session.ShouldReconnectOnError = false
	a.session.Unlock()
}
