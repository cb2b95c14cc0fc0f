package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/nexusmon/nexusmon/internal/discordapi"
	"github.com/nexusmon/nexusmon/internal/store"
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
// Enqueue, Stats and Flush are safe for concurrent use; Start and Stop are
// meant for one owner.
type Delivery struct {
	st   *store.Store
	s    Sender
	dest string
	opts DeliveryOptions
	log  *slog.Logger
	met  *deliveryMetrics

	wake     chan struct{} // buffered 1: something was enqueued or Stop began
	draining atomic.Bool

	mu      sync.Mutex // guards cancel, done
	cancel  context.CancelFunc
	done    chan struct{} // closed when the loop ends; nil when not started
	pmu     sync.Mutex
	changed chan struct{} // closed and replaced when a message leaves the outbox

	depth                                       atomic.Int64
	sent, failed, rateLimited, retries, dropped atomic.Int64
	fails                                       int   // consecutive retryable failures (loop only)
	solo                                        int64 // send this message unbatched (loop only)
	acked                                       map[int64]bool
}

var (
	_ Queue       = (*Delivery)(nil)
	_ StatsSource = (*Delivery)(nil)
)

// NewDelivery returns a Delivery of st's outbox for s. It reads the current
// depth, so Stats is right before Start.
func NewDelivery(st *store.Store, s Sender, opts DeliveryOptions) (*Delivery, error) {
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
		acked:   map[int64]bool{},
	}
	met, err := newDeliveryMetrics(opts.MeterProvider, d.dest, d.depth.Load)
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
func (d *Delivery) Enqueue(ctx context.Context, m Outbound) error {
	if err := CheckLimits(&m.Payload); err != nil {
		return fmt.Errorf("enqueue %s: %w", m.Kind, err)
	}
	body, err := json.Marshal(&m.Payload)
	if err != nil {
		return fmt.Errorf("enqueue %s: encode payload: %w", m.Kind, err)
	}
	_, superseded, err := d.st.Enqueue(ctx, store.Message{
		Dest: d.dest, Priority: m.Priority, Kind: m.Kind, EditKey: m.EditKey, Body: body, CreatedAt: d.opts.Now(),
	})
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", m.Kind, err)
	}
	if superseded > 0 {
		d.drop(ctx, superseded)
	}
	depth, err := d.st.Depth(ctx, d.dest)
	if err == nil && depth > d.opts.MaxDepth {
		var dropped int
		dropped, err = d.st.DropOldest(ctx, d.dest, PriorityReport, depth-d.opts.MaxDepth)
		if dropped > 0 {
			d.drop(ctx, dropped)
			d.log.Warn("outbox full: dropped the oldest reports", "dropped", dropped, "max_depth", d.opts.MaxDepth)
			depth -= dropped
		}
	}
	if err == nil {
		d.depth.Store(int64(depth))
	}
	d.kick()
	// The message is queued: a failure to read the depth or to apply the
	// bound is the store's (logged and counted there), not the caller's.
	return nil
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
// superseded edits and reports over MaxDepth, Retries failed attempts
// scheduled again (429s included), RateLimited 429s received; QueueDepth is
// the number pending now.
func (d *Delivery) Stats() DeliveryStats {
	return DeliveryStats{
		QueueDepth:  d.depth.Load(),
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
// Stopping a Delivery that is not running returns nil.
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
	if err := ctx.Err(); err != nil {
		if n, derr := d.st.Depth(context.WithoutCancel(ctx), d.dest); derr == nil && n > 0 {
			d.depth.Store(int64(n))
			return fmt.Errorf("stop delivery: %d messages left in the outbox: %w", n, err)
		}
	}
	return nil
}

// Flush waits until every message queued for the destination before the
// call has been delivered, failed or dropped, or until ctx ends. It needs
// the loop to be running.
func (d *Delivery) Flush(ctx context.Context) error {
	last, err := d.st.LastID(ctx, d.dest)
	if err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	for {
		ch := d.changedCh()
		n, err := d.st.PendingThrough(ctx, d.dest, last)
		if err != nil {
			return fmt.Errorf("flush: %w", err)
		}
		if n == 0 {
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

// run is the delivery loop.
func (d *Delivery) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	storeFails := 0
	storeWait := func() {
		w := min(storeWaitMin<<min(storeFails, 10), storeWaitMax)
		storeFails++
		d.sleep(ctx, w, false)
	}
	first := true
	for ctx.Err() == nil {
		m, ok, err := d.st.Head(ctx, d.dest)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("read outbox", "err", err)
				storeWait()
			}
			continue
		}
		storeFails = 0
		if !ok {
			d.depth.Store(0)
			if d.draining.Load() {
				return
			}
			d.sleep(ctx, 0, true)
			continue
		}
		if first {
			// Resume the backoff where the last run left it.
			d.fails, first = m.Attempts, false
		}
		if d.acked[m.ID] {
			// Delivered, but its Ack failed: only the Ack is retried.
			if err := d.st.Ack(ctx, m.ID); err != nil {
				storeWait()
				continue
			}
			delete(d.acked, m.ID)
			d.left(ctx)
			continue
		}
		now := d.opts.Now()
		if m.NextAttempt.After(now) {
			d.sleep(ctx, m.NextAttempt.Sub(now), true)
			continue
		}
		live := ""
		if m.EditKey != "" {
			v, ok, err := d.st.Get(ctx, liveNS, d.liveKey(m))
			if err != nil {
				if ctx.Err() == nil {
					d.log.Warn("read live message id", "err", err)
					storeWait()
				}
				continue
			}
			if ok {
				live = string(v)
			}
		}
		if p, ok := d.s.(Pacer); ok {
			// An edit-mode message without a live message is a post.
			if w := p.Delay(live != ""); w > 0 {
				d.sleep(ctx, w, false)
				continue
			}
		}
		if err := d.deliver(ctx, m, live); err != nil {
			if ctx.Err() == nil {
				d.log.Warn("outbox", "err", err)
				storeWait()
			}
		}
	}
}

// sleep waits for w (forever when w is 0), for ctx, and, when wakeable, for
// an Enqueue or Stop.
func (d *Delivery) sleep(ctx context.Context, w time.Duration, wakeable bool) {
	var tc <-chan time.Time
	if w > 0 {
		t := time.NewTimer(w)
		defer t.Stop()
		tc = t.C
	}
	wake := d.wake
	if !wakeable {
		wake = nil
	}
	select {
	case <-tc:
	case <-wake:
	case <-ctx.Done():
	}
}

// liveKey is the store key of m's live message id.
func (d *Delivery) liveKey(m store.Message) string { return d.dest + "/" + m.EditKey }

// deliver makes one attempt for the head m (and the posts batched with it);
// live is the id of m's live message in edit mode. Its error is a store
// failure; send failures are handled here.
func (d *Delivery) deliver(ctx context.Context, m store.Message, live string) error {
	p, err := decodePayload(m.Body)
	if err != nil {
		d.giveUp(ctx, []store.Message{m}, ReasonBadRequest, "undecodable payload: "+err.Error())
		return nil
	}
	if m.EditKey != "" {
		return d.deliverEdit(ctx, m, p, live)
	}
	batch := []store.Message{m}
	if d.solo != m.ID {
		batch, p = d.batch(ctx, m, p)
	}
	_, err = d.s.Post(ctx, &p) // a post's id is not needed: it is never edited
	return d.outcome(ctx, batch, err)
}

// batch merges the ready posts of m's priority queued right after m into p.
func (d *Delivery) batch(ctx context.Context, m store.Message, p Payload) ([]store.Message, Payload) {
	batch := []store.Message{m}
	rows, err := d.st.Pending(ctx, d.dest, maxBatchRows)
	if err != nil || len(rows) == 0 || rows[0].ID != m.ID {
		return batch, p
	}
	now := d.opts.Now()
	for _, r := range rows[1:] {
		if r.Priority != m.Priority || r.EditKey != "" || r.NextAttempt.After(now) {
			break
		}
		q, err := decodePayload(r.Body)
		if err != nil {
			break
		}
		merged := Batch([]Payload{p, q})
		if len(merged) != 1 {
			break
		}
		p = merged[0]
		batch = append(batch, r)
	}
	return batch, p
}

// deliverEdit edits m's live message, or posts m when there is none (live
// is "") and remembers the new message's id.
func (d *Delivery) deliverEdit(ctx context.Context, m store.Message, p Payload, live string) error {
	key := d.liveKey(m)
	if live != "" {
		err := d.s.Edit(ctx, live, &p)
		if IsUnknownMessage(err) {
			d.log.Info("live message gone: posting a new one", "kind", m.Kind, "edit_key", m.EditKey)
			// The next round posts it, paced on the post route.
			return d.st.Delete(ctx, liveNS, key)
		}
		return d.outcome(ctx, []store.Message{m}, err)
	}
	id, err := d.s.Post(ctx, &p)
	if err == nil && id != "" {
		if perr := d.st.Put(ctx, liveNS, key, []byte(id)); perr != nil {
			d.log.Warn("remember live message", "kind", m.Kind, "err", perr)
		}
	}
	return d.outcome(ctx, []store.Message{m}, err)
}

// outcome records the result of one attempt for the rows it carried.
func (d *Delivery) outcome(ctx context.Context, rows []store.Message, err error) error {
	if err == nil {
		d.fails = 0
		if d.solo == rows[0].ID {
			d.solo = 0
		}
		now := d.opts.Now()
		var serr error
		for _, r := range rows {
			if aerr := d.st.Ack(ctx, r.ID); aerr != nil {
				d.acked[r.ID] = true
				serr = aerr
			}
			d.met.duration.Record(ctx, max(now.Sub(r.CreatedAt), 0).Seconds(), d.met.destOpt)
		}
		d.sent.Add(int64(len(rows)))
		d.met.sent.Add(ctx, int64(len(rows)), d.met.destOpt)
		d.left(ctx)
		return serr
	}
	if ctx.Err() != nil {
		// Stopping: the attempt was abandoned, not failed. The message
		// stays as it was (Discord may have it: at least once).
		return nil
	}
	m := rows[0]
	var se *SendError
	if !errors.As(err, &se) {
		se = &SendError{Retryable: false, Reason: ReasonBadRequest, Err: err}
	}
	if !se.Retryable {
		if len(rows) > 1 && (se.Reason == ReasonBadRequest || se.Reason == ReasonTooLarge) {
			// The merged message was refused for its content: send the rows
			// one by one, so only a bad one fails. (A 401, 403 or 404 is
			// about the destination: every row fails with it, at the cost of
			// one invalid request, not one per row.)
			d.solo = m.ID
			d.log.Info("batched message rejected: sending its parts singly", "kind", m.Kind, "err", se)
			return nil
		}
		d.giveUp(ctx, rows, se.Reason, se.Error())
		return nil
	}
	now := d.opts.Now()
	var wait time.Duration
	if se.Reason == ReasonRateLimited {
		d.rateLimited.Add(1)
		d.met.limited(ctx, se.scope)
		wait = min(se.RetryAfter, d.opts.RetryAfterCap)
		if wait <= 0 {
			wait = d.backoff(d.fails)
		}
		d.log.Debug("rate limited", "kind", m.Kind, "retry_after", wait, "global", se.Global)
	} else {
		d.fails++
		wait = max(d.backoff(d.fails), min(se.RetryAfter, d.opts.RetryAfterCap))
	}
	if now.Sub(m.CreatedAt) >= d.opts.MaxAge {
		d.giveUp(ctx, []store.Message{m}, ReasonExpired, fmt.Sprintf("retried for %s (max %s): %s",
			now.Sub(m.CreatedAt).Round(time.Second), d.opts.MaxAge, se.Error()))
		return nil
	}
	// The store keeps milliseconds: round up so the wait is never cut short.
	next := now.Add(wait).Truncate(time.Millisecond).Add(time.Millisecond)
	err = d.st.Retry(ctx, m.ID, m.Attempts+1, next, se.Error())
	if errors.Is(err, store.ErrNotFound) {
		return nil // dropped or superseded meanwhile: move on
	}
	if err != nil {
		return err
	}
	d.retries.Add(1)
	d.met.retries.Add(ctx, 1, d.met.destOpt)
	if se.Reason != ReasonRateLimited {
		d.log.Info("delivery failed, will retry", "kind", m.Kind, "attempt", m.Attempts+1, "retry_in", wait.Round(time.Millisecond), "err", se)
	}
	return nil
}

// giveUp moves rows to the failed messages and counts them.
func (d *Delivery) giveUp(ctx context.Context, rows []store.Message, reason, detail string) {
	n := 0
	for _, r := range rows {
		err := d.st.Fail(ctx, r.ID, reason+": "+detail)
		if errors.Is(err, store.ErrNotFound) {
			continue // dropped or superseded meanwhile
		}
		if err != nil {
			d.log.Warn("record failed message", "kind", r.Kind, "err", err)
			continue
		}
		n++
		d.log.Warn("message given up", "kind", r.Kind, "id", r.ID, "reason", reason, "attempts", r.Attempts+1, "err", detail)
	}
	if n > 0 {
		d.failed.Add(int64(n))
		d.met.failedWith(ctx, reason, n)
	}
	if d.solo == rows[0].ID {
		d.solo = 0
	}
	d.left(ctx)
}

// left refreshes the depth after messages left the outbox and tells Flush.
func (d *Delivery) left(ctx context.Context) {
	if n, err := d.st.Depth(ctx, d.dest); err == nil {
		d.depth.Store(int64(n))
	}
	d.signal()
}

// backoff returns the wait after the n-th consecutive failure: uniform
// between BackoffBase and min(BackoffMax, BackoffBase·2^(n-1)).
func (d *Delivery) backoff(n int) time.Duration {
	base, ceil := d.opts.BackoffBase, d.opts.BackoffMax
	hi := base
	for i := 1; i < n && hi < ceil; i++ {
		hi *= 2
	}
	hi = min(hi, ceil)
	if hi <= base {
		return base
	}
	return base + rand.N(hi-base+1)
}

func decodePayload(b []byte) (Payload, error) {
	var p Payload
	if err := json.Unmarshal(b, &p); err != nil {
		return Payload{}, err
	}
	return p, nil
}

// StartNewLiveMessages forgets the live (edit-mode) messages of editKeys so
// that the next report of each is posted anew: DESIGN §3's "the first post
// after start". Call it before Start.
func (d *Delivery) StartNewLiveMessages(ctx context.Context, editKeys ...string) error {
	var errs []error
	for _, k := range editKeys {
		if err := d.st.Delete(ctx, liveNS, d.dest+"/"+k); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
