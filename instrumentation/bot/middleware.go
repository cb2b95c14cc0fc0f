package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/nexusmon/nexusmon/instrumentation/bot/internal/window"
	"github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/internal/topk"
)

// Outcomes of the discord.command.outcome attribute.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
)

// durationBuckets are the semconv advice for durations in seconds.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// serverKind is the kind of every command span.
var serverKind = trace.WithSpanKind(trace.SpanKindServer)

// bg is the context of measurements that need no exemplar.
var bg = context.Background()

// MaxIDSeries bounds the series of discord.command.guild.invocations and
// discord.command.channel.invocations: the first MaxIDSeries guilds (and
// channels) seen keep their own series, every later one is counted under
// discord.guild.id (discord.channel.id) = OtherID. The command report's
// top guilds and channels come from TopInvocations, which has no such bound.
// The SDK's cardinality limit (2000 per instrument) is not relied on: past
// it the SDK folds series into otel.metric.overflow, unnamed and per reader.
const MaxIDSeries = 100

// OtherID is the id value of the invocations of guilds and channels past
// MaxIDSeries.
const OtherID = "other"

// errorQueue bounds the ErrorEvents waiting for OnError; past it events are
// dropped (and logged), so an error storm cannot grow memory or block a
// handler.
const errorQueue = 256

// Handler handles one command invocation. A returned error marks the
// invocation as failed; it is recorded on the span and the metrics and sent
// to InstrumentOptions.OnError. A panic is recovered and treated the same
// way, with error type "panic".
type Handler func(c *Context) error

// Context is what a Handler gets: the command's context (carrying its span,
// so child spans and outgoing calls join the trace), the session and the
// interaction, and helpers that answer the interaction while recording the
// time to the first response.
type Context struct {
	context.Context
	Session     *discordgo.Session
	Interaction *discordgo.InteractionCreate
	Module      string // the module ("cog") the command belongs to
	Command     string // discord.command.name, e.g. "nexus status"

	in *Instruments
}

// ErrNoInteraction is returned by the Context helpers when the Context has
// no session or interaction to answer.
var ErrNoInteraction = errors.New("no interaction to respond to")

// Respond sends the initial response to the interaction and records the
// time since the handler started as the first response (once per
// interaction, whichever of Respond, Defer or the Transport sees it first).
func (c *Context) Respond(resp *discordgo.InteractionResponse) error {
	if c.Session == nil || c.Interaction == nil || c.Interaction.Interaction == nil {
		return ErrNoInteraction
	}
	at := c.now()
	err := c.Session.InteractionRespond(c.Interaction.Interaction, resp, discordgo.WithContext(c.Context))
	if c.in != nil && answered(err) {
		c.in.firstResponse(c.Context, c.Interaction.ID, at)
	}
	return wrapErr("respond to interaction", err)
}

// Defer acknowledges the interaction with a deferred response (type 5,
// "thinking…"), optionally ephemeral, to be completed with Followup.
func (c *Context) Defer(ephemeral bool) error {
	resp := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}
	if ephemeral {
		resp.Data = &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}
	}
	return c.Respond(resp)
}

// Followup sends a followup message (after Respond or Defer) and returns it.
func (c *Context) Followup(params *discordgo.WebhookParams) (*discordgo.Message, error) {
	if c.Session == nil || c.Interaction == nil || c.Interaction.Interaction == nil {
		return nil, ErrNoInteraction
	}
	m, err := c.Session.FollowupMessageCreate(c.Interaction.Interaction, true, params, discordgo.WithContext(c.Context))
	if err != nil {
		return nil, wrapErr("send followup", err)
	}
	return m, nil
}

func (c *Context) now() time.Time {
	if c.in != nil {
		return c.in.now()
	}
	return time.Now()
}

// answered reports whether an InteractionRespond call reached Discord: it
// succeeded, or Discord answered with an error (for instance 10062, unknown
// interaction, when the 3 s deadline was missed). A transport failure is
// not a response.
func answered(err error) bool {
	if err == nil {
		return true
	}
	var rest *discordgo.RESTError
	var rl *discordgo.RateLimitError
	return errors.As(err, &rest) || errors.As(err, &rl)
}

// InstrumentOptions configures Instruments. Every field is optional.
type InstrumentOptions struct {
	// RecordUserIDs adds discord.user.id to command spans. Off by default:
	// user IDs are personal data.
	RecordUserIDs bool
	// OnError receives an ErrorEvent for every failed invocation. It runs
	// on one goroutine owned by the Instruments, never on the handler's;
	// events beyond a queue of 256 are dropped. Wrap it with a Throttle to
	// turn storms into digests.
	OnError func(ErrorEvent)
	// Logger receives panics (with their stacks), failures at debug level
	// and dropped error events. Nil discards them.
	Logger *slog.Logger
	// Now is the clock for durations and timestamps. Nil means time.Now;
	// then a command span of the OTel SDK takes its own start and end times
	// and the command's duration is read from them (the same instants).
	Now func() time.Time
}

// Instruments holds the command and REST instruments of a bot. Create one
// per MeterProvider with NewInstruments and share it between Router, Wrap
// and NewTransport; its methods are safe for concurrent use. Close it when
// the bot stops.
type Instruments struct {
	tracer      trace.Tracer
	now         func() time.Time
	sdkClock    bool // now is time.Now: spans take their own times
	log         *slog.Logger
	recordUsers bool
	onError     func(ErrorEvent)

	duration      metric.Float64Histogram
	invocations   metric.Int64Counter
	firstResp     metric.Float64Histogram
	late          metric.Int64Counter
	guildInv      metric.Int64Counter
	chanInv       metric.Int64Counter
	restDuration  metric.Float64Histogram
	rateLimits    metric.Int64Counter
	reg           metric.Registration
	tracker       tracker
	invalid       window.Counter
	guilds, chans idCache
	topGuilds     *topk.Counter // the command report's top guilds and channels
	topChans      *topk.Counter
	remote        remoteState // RecordInvocation's commands and error types

	errMu      sync.Mutex // guards errStarted and closed
	errStarted bool
	closed     bool
	errCh      chan ErrorEvent
	quit       chan struct{}
	wg         sync.WaitGroup
}

// NewInstruments creates the command and REST instruments on mp (scope
// names.ScopeBot) and takes a tracer from tp. Nil providers mean no-op
// ones.
func NewInstruments(mp metric.MeterProvider, tp trace.TracerProvider, opts InstrumentOptions) (*Instruments, error) {
	if mp == nil {
		mp = metricnoop.NewMeterProvider()
	}
	if tp == nil {
		tp = tracenoop.NewTracerProvider()
	}
	in := &Instruments{
		tracer:      tp.Tracer(names.ScopeBot),
		now:         opts.Now,
		log:         opts.Logger,
		recordUsers: opts.RecordUserIDs,
		onError:     opts.OnError,
		guilds:      idCache{key: names.AttrGuildID},
		chans:       idCache{key: names.AttrChannelID},
		errCh:       make(chan ErrorEvent, errorQueue),
		quit:        make(chan struct{}),
	}
	if in.now == nil {
		in.now, in.sdkClock = time.Now, true
	}
	if in.log == nil {
		in.log = slog.New(slog.DiscardHandler)
	}
	m := mp.Meter(names.ScopeBot)
	var errs []error
	hist := func(name, desc string) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc),
			metric.WithExplicitBucketBoundaries(durationBuckets...))
		errs = append(errs, err)
		return h
	}
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	in.duration = hist(names.CommandDuration, "Duration of command handlers.")
	in.firstResp = hist(names.CommandFirstResponse, "Time from handler start to the first interaction response.")
	in.restDuration = hist(names.DiscordRESTDuration, "Duration of Discord REST requests, by route template and status.")
	in.invocations = counter(names.CommandInvocations, "{invocation}", "Command invocations by outcome.")
	in.late = counter(names.CommandLateResponses, "{response}", "First responses later than Discord's 3 s deadline.")
	in.guildInv = counter(names.CommandGuildInvocations, "{invocation}", "Command invocations per guild.")
	in.chanInv = counter(names.CommandChanInvocations, "{invocation}", "Command invocations per channel.")
	in.topGuilds, in.topChans = topk.New(MaxTopIDs), topk.New(MaxTopIDs)
	in.rateLimits = counter(names.DiscordRateLimits, "{response}", "HTTP 429 responses from Discord, by route and scope.")
	invalid, err := m.Int64ObservableGauge(names.DiscordInvalidRequests, metric.WithUnit("{response}"),
		metric.WithDescription("401, 403 and non-shared 429 responses in the last 10 minutes (Cloudflare ban limit: 10000)."))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("create bot instruments: %w", err)
	}
	in.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(invalid, in.invalid.Count(in.now()))
		return nil
	}, invalid)
	if err != nil {
		return nil, fmt.Errorf("register bot callback: %w", err)
	}
	return in, nil
}

// noopInstruments returns Instruments that record nothing.
func noopInstruments() *Instruments {
	return &Instruments{
		tracer:       tracenoop.NewTracerProvider().Tracer(names.ScopeBot),
		now:          time.Now,
		sdkClock:     true,
		log:          slog.New(slog.DiscardHandler),
		duration:     metricnoop.Float64Histogram{},
		invocations:  metricnoop.Int64Counter{},
		firstResp:    metricnoop.Float64Histogram{},
		late:         metricnoop.Int64Counter{},
		guildInv:     metricnoop.Int64Counter{},
		chanInv:      metricnoop.Int64Counter{},
		restDuration: metricnoop.Float64Histogram{},
		rateLimits:   metricnoop.Int64Counter{},
		reg:          metricnoop.Registration{},
		guilds:       idCache{key: names.AttrGuildID},
		chans:        idCache{key: names.AttrChannelID},
		errCh:        make(chan ErrorEvent, errorQueue),
		quit:         make(chan struct{}),
	}
}

// Close stops the OnError goroutine after it has delivered the queued
// events and unregisters the instruments' callback. Invocations after
// Close are still measured, but their ErrorEvents are dropped.
func (in *Instruments) Close() error {
	in.errMu.Lock()
	if in.closed {
		in.errMu.Unlock()
		return nil
	}
	in.closed = true
	close(in.quit)
	in.errMu.Unlock()
	in.wg.Wait()
	if err := in.reg.Unregister(); err != nil {
		return fmt.Errorf("unregister bot callback: %w", err)
	}
	return nil
}

// Wrap instruments a bot's own handler, for bots that route interactions
// themselves: every call of the returned function is one invocation of
// command name in module, traced and measured like a Router command. name
// should be a registered command name (it is a span name and a metric
// attribute, so it must come from a small fixed set). The attribute sets
// are built here, once.
func (in *Instruments) Wrap(module, name string, h Handler) func(*discordgo.Session, *discordgo.InteractionCreate) {
	cmd := newCommand(module, name, "command "+name)
	return func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		in.invoke(cmd, h, s, i)
	}
}

// spanTimes is what a span of the OTel SDK (sdktrace.ReadOnlySpan) tells
// of its times.
type spanTimes interface {
	StartTime() time.Time
	EndTime() time.Time
}

// startOpts are the options of a command span started on the SDK's clock.
var startOpts = []trace.SpanStartOption{serverKind}

// startSpan starts the span of an invocation of cmd and returns the
// invocation's start and the span's times when it tells them (st nil
// otherwise). On the default clock the span takes its own start time,
// which is then the invocation's (one clock read, no timestamp option to
// allocate); a span that does not tell it (not recording, or another
// SDK's) is timed from when it was started. On the Instruments' own clock
// the span's times come from that clock, as the durations and its
// first-response event do.
func (in *Instruments) startSpan(cmd *command) (ctx context.Context, span trace.Span, start time.Time, st spanTimes) {
	if !in.sdkClock {
		start = in.now()
		ctx, span = in.tracer.Start(bg, cmd.spanName, serverKind, trace.WithTimestamp(start))
		st, _ = span.(spanTimes)
		return ctx, span, start, st
	}
	ctx, span = in.tracer.Start(bg, cmd.spanName, startOpts...)
	if st, ok := span.(spanTimes); ok {
		return ctx, span, st.StartTime(), st
	}
	return ctx, span, time.Now(), nil
}

// endSpan ends the span of a successful invocation and returns the
// invocation's end: the span's end time on the default clock when the span
// tells it (st), so the duration recorded is the span's.
func (in *Instruments) endSpan(span trace.Span, st spanTimes) time.Time {
	if !in.sdkClock {
		end := in.now()
		span.End(trace.WithTimestamp(end))
		return end
	}
	span.End()
	if st != nil {
		if end := st.EndTime(); !end.IsZero() {
			return end
		}
	}
	return time.Now()
}

// spanAttrs are arrays for the attributes of a command span while they are
// set: an OTel SDK span (one that tells its times) copies them, so they are
// reused; any other span gets an array of its own.
var spanAttrs = sync.Pool{New: func() any { return new([6]attribute.KeyValue) }}

// setSpanAttributes sets the attributes of a recording command span.
func (in *Instruments) setSpanAttributes(span trace.Span, sdkSpan bool, cmd *command, i *discordgo.InteractionCreate,
	guildID, channelID, interactionID string) {
	var buf *[6]attribute.KeyValue
	if sdkSpan {
		buf = spanAttrs.Get().(*[6]attribute.KeyValue)
	} else {
		buf = new([6]attribute.KeyValue)
	}
	kv := append(buf[:0], cmd.kv[0], cmd.kv[1])
	if guildID != "" {
		kv = append(kv, attribute.String(names.AttrGuildID, guildID))
	}
	kv = append(kv, attribute.String(names.AttrChannelID, channelID),
		attribute.String(names.AttrInteractionID, interactionID))
	if in.recordUsers {
		if uid := userID(i); uid != "" {
			kv = append(kv, attribute.String(names.AttrUserID, uid))
		}
	}
	span.SetAttributes(kv...)
	if sdkSpan {
		*buf = [6]attribute.KeyValue{} // keeps no id alive
		spanAttrs.Put(buf)
	}
}

// invoke runs h as one invocation of cmd.
func (in *Instruments) invoke(cmd *command, h Handler, s *discordgo.Session, i *discordgo.InteractionCreate) {
	ctx, span, start, st := in.startSpan(cmd)

	var guildID, channelID, interactionID string
	if i != nil && i.Interaction != nil {
		guildID, channelID, interactionID = i.GuildID, i.ChannelID, i.ID
	}
	if span.IsRecording() {
		in.setSpanAttributes(span, st != nil, cmd, i, guildID, channelID, interactionID)
	}
	if interactionID != "" {
		in.tracker.begin(interactionID, pending{start: start, cmd: cmd, span: span, sc: span.SpanContext()})
	}

	c := &Context{Context: ctx, Session: s, Interaction: i, Module: cmd.module, Command: cmd.name, in: in}
	err := in.call(h, c)

	if err == nil {
		end := in.endSpan(span, st)
		in.succeeded(ctx, cmd, end.Sub(start))
	} else {
		end := in.now()
		in.fail(ctx, span, cmd, err, end.Sub(start), end, guildID, channelID, interactionID)
	}
	if interactionID != "" {
		in.tracker.ended(interactionID)
	}
	in.countIDs(guildID, channelID)
}

// succeeded records the metrics of a successful invocation.
func (in *Instruments) succeeded(ctx context.Context, cmd *command, elapsed time.Duration) {
	in.duration.Record(ctx, elapsed.Seconds(), cmd.rec...)
	in.invocations.Add(bg, 1, cmd.success...)
}

// call runs h, turning a panic into a *PanicError.
func (in *Instruments) call(h Handler, c *Context) (err error) {
	defer func() {
		if v := recover(); v != nil {
			pe := &PanicError{Value: v, Stack: debug.Stack()}
			in.log.Error("command handler panicked", "command", c.Command, "module", c.Module,
				"panic", Sanitize(fmt.Sprint(v)), "stack", string(pe.Stack))
			err = pe
		}
	}()
	if h == nil {
		return errors.New("no handler")
	}
	return h(c)
}

// fail records a failed invocation: span status and exception event,
// duration with error.type, the failure outcome, and an ErrorEvent.
func (in *Instruments) fail(ctx context.Context, span trace.Span, cmd *command, err error,
	elapsed time.Duration, end time.Time, guildID, channelID, interactionID string) {
	et := ErrorType(err)
	msg := Sanitize(err.Error())
	etAttr := attribute.String(names.AttrErrorType, et)
	if span.IsRecording() {
		// Not span.RecordError: it would copy the raw error text, which
		// may hold tokens, into the trace.
		span.AddEvent(semconv.ExceptionEventName, trace.WithAttributes(
			semconv.ExceptionType(semconv.ErrorType(err).Value.AsString()),
			semconv.ExceptionMessage(msg)))
		span.SetStatus(codes.Error, msg)
		span.SetAttributes(etAttr)
	}
	span.End(trace.WithTimestamp(end))
	var pe *PanicError
	in.failed(ctx, cmd, ErrorEvent{
		ErrorType:     et,
		Message:       msg,
		GuildID:       guildID,
		ChannelID:     channelID,
		InteractionID: interactionID,
		Duration:      elapsed,
		Goroutines:    runtime.NumGoroutine(),
		HeapAlloc:     heapAlloc(),
		At:            end,
		Panic:         errors.As(err, &pe),
	})
}

// failed records the metrics of a failed invocation of cmd and queues ev
// (its command and module filled in here) for OnError.
func (in *Instruments) failed(ctx context.Context, cmd *command, ev ErrorEvent) {
	in.duration.Record(ctx, ev.Duration.Seconds(), cmd.failed.opts(cmd, ev.ErrorType)...)
	in.invocations.Add(bg, 1, cmd.failure...)
	ev.Command, ev.Module = cmd.name, cmd.module
	if !ev.Panic {
		in.log.Debug("command failed", "command", cmd.name, "module", cmd.module, "error.type", ev.ErrorType, "error", ev.Message)
	}
	if in.onError == nil {
		return
	}
	in.dispatch(ev)
}

// dispatch queues ev for OnError without blocking, starting the delivery
// goroutine on first use.
func (in *Instruments) dispatch(ev ErrorEvent) {
	in.errMu.Lock()
	if in.closed {
		in.errMu.Unlock()
		return
	}
	if !in.errStarted {
		in.errStarted = true
		in.wg.Add(1)
		go in.errLoop()
	}
	in.errMu.Unlock()
	select {
	case in.errCh <- ev:
	default:
		in.log.Warn("error event dropped: queue full", "command", ev.Command, "error.type", ev.ErrorType)
	}
}

func (in *Instruments) errLoop() {
	defer in.wg.Done()
	for {
		select {
		case ev := <-in.errCh:
			in.deliver(ev)
		case <-in.quit:
			for {
				select {
				case ev := <-in.errCh:
					in.deliver(ev)
				default:
					return
				}
			}
		}
	}
}

// deliver calls OnError, surviving a panic in it.
func (in *Instruments) deliver(ev ErrorEvent) {
	defer func() {
		if v := recover(); v != nil {
			in.log.Error("OnError panicked", "panic", Sanitize(fmt.Sprint(v)))
		}
	}()
	in.onError(ev)
}

// firstResponse records the first response to interaction id, sent at at.
// ctx is the caller's; when it carries no span, the invocation's span
// context is used so the exemplar still points at the command's trace.
func (in *Instruments) firstResponse(ctx context.Context, id string, at time.Time) {
	p, ok := in.tracker.take(id)
	if !ok {
		return
	}
	if !trace.SpanContextFromContext(ctx).IsValid() {
		ctx = trace.ContextWithSpanContext(context.Background(), p.sc)
	}
	if p.span != nil {
		// A no-op when the span has ended but the invocation has not yet
		// (a response sent from another goroutine): the metric still
		// counts it.
		p.span.AddEvent(names.EventFirstResponse, trace.WithTimestamp(at))
	}
	in.respondedAfter(ctx, p.cmd, at.Sub(p.start))
}

// respondedAfter records a first response to an invocation of cmd, d after
// it started.
func (in *Instruments) respondedAfter(ctx context.Context, cmd *command, d time.Duration) {
	in.firstResp.Record(ctx, d.Seconds(), cmd.rec...)
	if d > ResponseDeadline {
		in.late.Add(ctx, 1, cmd.add...)
	}
}

func userID(i *discordgo.InteractionCreate) string {
	switch {
	case i == nil || i.Interaction == nil:
		return ""
	case i.Member != nil && i.Member.User != nil:
		return i.Member.User.ID
	case i.User != nil:
		return i.User.ID
	}
	return ""
}

// heapAlloc returns the live heap bytes without stopping the world (unlike
// runtime.ReadMemStats).
func heapAlloc() uint64 {
	s := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	rtmetrics.Read(s)
	if s[0].Value.Kind() != rtmetrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
