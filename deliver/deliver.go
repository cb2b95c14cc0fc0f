package deliver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/nexusmon/nexusmon/deliver/discord"
	"github.com/nexusmon/nexusmon/internal/discordapi"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/build"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// Delivery defaults (DeliveryOptions).
const (
	DefaultMaxDepth      = 10000
	DefaultMaxAge        = 24 * time.Hour
	DefaultBackoffBase   = time.Second
	DefaultBackoffMax    = 5 * time.Minute
	DefaultRetryAfterCap = 10 * time.Minute
)

// liveNS is the store namespace of live message ids (edit mode); the key is
// destination + "/" + edit key.
const liveNS = "live"

// maxBatchRows bounds how many queued posts one Discord message merges: a
// message carries at most 10 embeds, and every report has one.
const maxBatchRows = discordapi.MaxEmbeds

// Store failures are retried after storeWaitMin, doubling up to storeWaitMax.
const (
	storeWaitMin = 100 * time.Millisecond
	storeWaitMax = 30 * time.Second
)

// Outbound is one rendered message handed to the Discord delivery.
type Outbound struct {
	Kind     reportdata.Kind
	Priority int
	EditKey  string // "" for a post; the live message's key in edit mode
	Payload  render.Payload
}

// DeliveryOptions configure a Delivery. Zero values mean the defaults.
type DeliveryOptions struct {
	// MaxDepth bounds the pending messages of the destination (default
	// 10000). Beyond it the oldest reports (priority ≥ 1) are dropped and
	// counted; alerts (priority 0) never are.
	MaxDepth int
	// MaxAge is how long a message is retried (default 24 h): a message
	// older than that whose attempt fails again is given up (logged, counted
	// as "expired"), so an hour-long outage loses nothing.
	MaxAge time.Duration
	// BackoffBase and BackoffMax shape the wait after a 5xx or transport
	// error (defaults 1 s and 5 min): exponential, with full jitter above a
	// floor of BackoffBase so a dead destination costs one attempt per step.
	BackoffBase, BackoffMax time.Duration
	// RetryAfterCap caps a 429's retry_after (default 10 min).
	RetryAfterCap time.Duration
	// Logger receives delivery failures; nil discards them. It never sees a
	// secret or a message body.
	Logger *slog.Logger
	// Now is the clock for message times and ages (default time.Now). Waits
	// use real timers, so a replacement must advance with real time (an
	// offset clock is fine).
	Now func() time.Time
	// MeterProvider receives the self-telemetry (scope ScopeExporter); nil
	// records nothing.
	MeterProvider metric.MeterProvider
}

// Delivery drains the durable outbox of one destination into its Sender,
// strictly in outbox order (priority, then id: alerts before reports). It
// waits for a rate-limit bucket before exceeding it, honours 429's
// retry_after (capped), backs off with jitter on 5xx and transport errors
// (the attempt count and next attempt time are persisted, so a restart
// resumes the schedule), gives up a message after MaxAge, and never retries
// what Discord rejected as invalid (it is moved to the failed messages,
// logged and counted). Consecutive ready posts of the same priority are
// merged into one message where Discord's limits allow. Edits (Outbound.EditKey)
// keep one live message per key and post a new one when it is gone.
//
// When the store cannot write (a full disk), messages are queued in a
// bounded memory queue instead and delivered from there, alerts first; see
// ErrNotDurable. The loop keeps trying to move them, with their state, into
// the outbox, and from then on delivery is durable again.
//
// Enqueue, Commit, Stats, Durable and Flush are safe for concurrent use;
// Start and Stop are meant for one owner.
type Delivery struct {
	st   Outbox
	s    discord.Sender
	dest string
	opts DeliveryOptions
	log  *slog.Logger
	met  *deliveryMetrics

	wake     chan struct{} // buffered 1: something was enqueued or Stop began
	draining atomic.Bool
	newTimer func(time.Duration) (<-chan time.Time, func() bool) // the loop's waits; tests replace it

	mu      sync.Mutex // guards cancel, done
	cancel  context.CancelFunc
	done    chan struct{} // closed when the loop ends; nil when not started
	pmu     sync.Mutex
	changed chan struct{} // closed and replaced when a message leaves the outbox

	depth                                       atomic.Int64
	sent, failed, rateLimited, retries, dropped atomic.Int64
	fails                                       int   // consecutive retryable failures (loop only)
	solo                                        int64 // send this message unbatched (loop only)

	qmu      sync.Mutex
	mem      memQueue     // what the store could not write; guarded by qmu
	restores atomic.Int64 // times the memory queue moved into the outbox

	recoverFails int       // consecutive failed recoveries (loop only)
	recoverAt    time.Time // next recovery attempt (loop only)
	lastRecover  time.Time // last recovery attempt (loop only)
}

var (
	_ report.StateQueue  = reportQueue{}
	_ report.StatsSource = reportQueue{}
)

// NewDelivery returns a Delivery of st's outbox for s. It reads the current
// depth, so Stats is right before Start.
func NewDelivery(st Outbox, s discord.Sender, opts DeliveryOptions) (*Delivery, error) {
	if st == nil || s == nil {
		return nil, errors.New("new delivery: nil store or sender")
	}
	if s.Name() == "" {
		return nil, errors.New("new delivery: sender has no name")
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	if opts.BackoffBase <= 0 {
		opts.BackoffBase = DefaultBackoffBase
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = DefaultBackoffMax
	}
	opts.BackoffMax = max(opts.BackoffMax, opts.BackoffBase)
	if opts.RetryAfterCap <= 0 {
		opts.RetryAfterCap = DefaultRetryAfterCap
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	d := &Delivery{
		st: st, s: s, dest: s.Name(), opts: opts,
		log:     opts.Logger.With("destination", s.Name()),
		wake:    make(chan struct{}, 1),
		changed: make(chan struct{}),
		mem:     newMemQueue(),
		newTimer: func(w time.Duration) (<-chan time.Time, func() bool) {
			t := time.NewTimer(w)
			return t.C, t.Stop
		},
	}
	met, err := newDeliveryMetrics(opts.MeterProvider, d.dest, d.depth.Load, func() int64 { return int64(d.MemoryDepth()) })
	if err != nil {
		return nil, fmt.Errorf("new delivery: %w", err)
	}
	d.met = met
	n, err := st.Depth(context.Background(), d.dest)
	if err != nil {
		return nil, fmt.Errorf("new delivery: %w", err)
	}
	d.depth.Store(int64(n))
	return d, nil
}

// Enqueue implements Queue: it checks m's payload against Discord's limits,
// persists it in the outbox of the destination and wakes the loop. It never
// touches the network. A superseded pending edit of the same live message
// is dropped (counted); beyond MaxDepth the oldest reports are dropped.
// When the store cannot write, m is queued in memory and the error wraps
// ErrNotDurable.
func (d *Delivery) Enqueue(ctx context.Context, m Outbound) error {
	return d.Commit(ctx, nil, m)
}

// Commit implements StateQueue: it persists ms as Enqueue does, together
// with the key-value writes kv, in one store transaction, so that state
// saying "notified" is never stored without its message. A message that
// fails Discord's limits is left out (its error is returned); kv is written
// all the same.
//
// When the store cannot write, or while earlier messages wait in memory
// (so that order is kept), ms and kv go to the memory queue: ms are
// delivered from there and moved into the outbox, with kv in the same
// transaction, once the store can write again. The error then wraps
// ErrNotDurable; kv is never written ahead of messages queued before it.
func (d *Delivery) Commit(ctx context.Context, kv []KV, ms ...Outbound) error {
	var errs []error
	rows := make([]Message, 0, len(ms))
	for _, m := range ms {
		if err := render.CheckLimits(&m.Payload); err != nil {
			errs = append(errs, fmt.Errorf("enqueue %s: %w", m.Kind, err))
			continue
		}
		body, err := json.Marshal(&m.Payload)
		if err != nil {
			errs = append(errs, fmt.Errorf("enqueue %s: encode payload: %w", m.Kind, err))
			continue
		}
		rows = append(rows, Message{
			Dest: d.dest, Priority: m.Priority, Kind: string(m.Kind), EditKey: m.EditKey, Body: body, CreatedAt: d.opts.Now(),
		})
	}
	if len(rows) == 0 && len(kv) == 0 {
		return errors.Join(errs...)
	}
	d.qmu.Lock()
	if !d.mem.on {
		_, superseded, err := d.st.EnqueueWith(ctx, kv, rows...)
		if err == nil || ctx.Err() != nil {
			d.qmu.Unlock()
			if err != nil {
				return errors.Join(append(errs, fmt.Errorf("enqueue %s: %w", kinds(ms), err))...)
			}
			if superseded > 0 {
				d.drop(ctx, superseded)
			}
			if len(rows) > 0 {
				d.bound(ctx)
				d.kick()
			}
			return errors.Join(errs...)
		}
		d.log.Warn("store cannot write: queueing in memory, not durable, until it can",
			"class", d.st.Status().WriteErrorClass, "memory_queue_max", MemoryQueueMessages)
		errs = append(errs, fmt.Errorf("enqueue %s: %w: %w", kinds(ms), report.ErrNotDurable, err))
	} else {
		errs = append(errs, fmt.Errorf("enqueue %s: %w", kinds(ms), report.ErrNotDurable))
	}
	d.toMemory(ctx, kv, rows)
	d.qmu.Unlock()
	d.kick()
	return errors.Join(errs...)
}

// bound applies MaxDepth: beyond it the oldest reports are dropped. A
// failure to read the depth or to apply the bound is the store's (logged
// and counted there), not the caller's: the messages are queued.
func (d *Delivery) bound(ctx context.Context) {
	depth, err := d.st.Depth(ctx, d.dest)
	if err == nil && depth > d.opts.MaxDepth {
		var dropped int
		dropped, err = d.st.DropOldest(ctx, d.dest, report.PriorityReport, depth-d.opts.MaxDepth)
		if dropped > 0 {
			d.drop(ctx, dropped)
			d.log.Warn("outbox full: dropped the oldest reports", "dropped", dropped, "max_depth", d.opts.MaxDepth)
			depth -= dropped
		}
	}
	if err == nil {
		d.depth.Store(int64(max(depth-d.goneThrough(math.MaxInt64), 0)))
	}
}

// kinds names the kinds of ms for an error: "alert", "alert+system".
func kinds(ms []Outbound) string {
	if len(ms) == 0 {
		return "state"
	}
	out := string(ms[0].Kind)
	for _, m := range ms[1:] {
		out += "+" + string(m.Kind)
	}
	return out
}

func (d *Delivery) drop(ctx context.Context, n int) {
	d.dropped.Add(int64(n))
	d.met.dropped.Add(ctx, int64(n), d.met.destOpt)
	d.signal()
}

// kick wakes the loop without blocking.
func (d *Delivery) kick() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// signal tells Flush that messages left the outbox.
func (d *Delivery) signal() {
	d.pmu.Lock()
	close(d.changed)
	d.changed = make(chan struct{})
	d.pmu.Unlock()
}

func (d *Delivery) changedCh() <-chan struct{} {
	d.pmu.Lock()
	defer d.pmu.Unlock()
	return d.changed
}

// Stats implements StatsSource. Counts are of outbox messages since
// NewDelivery (messages merged into one Discord message count one each):
// Sent accepted by Discord, Failed given up (rejected or expired), Dropped
// superseded edits, reports over MaxDepth and messages over the memory
// queue's bound, Retries failed attempts scheduled again (429s included),
// RateLimited 429s received; QueueDepth is the number pending now, in the
// outbox and in memory.
func (d *Delivery) Stats() build.DeliveryStats {
	return build.DeliveryStats{
		QueueDepth:  d.depth.Load() + int64(d.MemoryDepth()),
		Sent:        d.sent.Load(),
		Failed:      d.failed.Load(),
		RateLimited: d.rateLimited.Load(),
		Retries:     d.retries.Load(),
		Dropped:     d.dropped.Load(),
	}
}

// Start starts the delivery loop. Cancelling ctx stops it at once, without
// draining; Stop drains first. Starting a running Delivery does nothing.
func (d *Delivery) Start(ctx context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done != nil {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	d.cancel, d.done = cancel, make(chan struct{})
	d.draining.Store(false)
	go d.run(ctx, d.done)
}

// Stop keeps delivering until the outbox is empty or ctx ends, then stops
// the loop; an attempt in flight when ctx ends is abandoned. What is left
// stays in the store for the next start, and the error then says how much.
// Messages still only in memory (the store could not write them) are lost;
// the error says so too. Stopping a Delivery that is not running returns
// nil.
func (d *Delivery) Stop(ctx context.Context) error {
	d.mu.Lock()
	cancel, done := d.cancel, d.done
	d.mu.Unlock()
	if done == nil {
		return nil
	}
	d.draining.Store(true)
	d.kick()
	select {
	case <-done:
	case <-ctx.Done():
	}
	cancel()
	<-done
	d.mu.Lock()
	d.cancel, d.done = nil, nil
	d.mu.Unlock()
	if c, ok := d.s.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
	var errs []error
	if lost := d.MemoryDepth(); lost > 0 {
		d.log.Error("stop delivery: messages only in memory are lost (the store cannot write)", "messages", lost)
		errs = append(errs, fmt.Errorf("stop delivery: %d messages only in memory are lost: %w", lost, report.ErrNotDurable))
	}
	if err := ctx.Err(); err != nil {
		if n, derr := d.st.Depth(context.WithoutCancel(ctx), d.dest); derr == nil && n > 0 {
			d.depth.Store(int64(n))
			errs = append(errs, fmt.Errorf("stop delivery: %d messages left in the outbox: %w", n, err))
		}
	}
	return errors.Join(errs...)
}

// Flush waits until every message queued for the destination before the
// call, in the outbox or in memory, has been delivered, failed or dropped,
// or until ctx ends. It needs the loop to be running.
func (d *Delivery) Flush(ctx context.Context) error {
	memLast, gen := d.memMark() // before LastID: a move in between is seen below
	last, err := d.st.LastID(ctx, d.dest)
	if err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	for {
		ch := d.changedCh()
		if _, g := d.memMark(); g != gen {
			// The memory queue moved into the outbox: wait for what it
			// carried there (and, it may be, a little more).
			memLast, gen = d.memMark()
			if last, err = d.st.LastID(ctx, d.dest); err != nil {
				return fmt.Errorf("flush: %w", err)
			}
		}
		n, err := d.st.PendingThrough(ctx, d.dest, last)
		if err != nil {
			return fmt.Errorf("flush: %w", err)
		}
		n += d.memThrough(memLast) - d.goneThrough(last)
		if n <= 0 {
			return nil
		}
		t := time.NewTimer(time.Second) // a safety net; progress is signalled
		select {
		case <-ch:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("flush: %d messages still pending: %w", n, ctx.Err())
		}
		t.Stop()
	}
}
