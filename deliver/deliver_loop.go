package deliver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/nexusmon/nexusmon/deliver/discord"
	"github.com/nexusmon/nexusmon/render"
)

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
		d.recover(ctx, false)
		m, ok, err := d.next(ctx)
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
				d.recover(ctx, true) // a last chance for what is only in memory
				return
			}
			d.sleep(ctx, 0, true)
			continue
		}
		if first {
			// Resume the backoff where the last run left it.
			d.fails, first = m.Attempts, false
		}
		now := d.opts.Now()
		if m.NextAttempt.After(now) {
			d.sleep(ctx, m.NextAttempt.Sub(now), true)
			continue
		}
		live := ""
		if m.EditKey != "" {
			if live, err = d.liveID(ctx, m); err != nil {
				if ctx.Err() == nil {
					d.log.Warn("read live message id", "err", err)
					storeWait()
				}
				continue
			}
		}
		if p, ok := d.s.(discord.Pacer); ok {
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
// an Enqueue or Stop. While something waits in memory for the store, it
// waits at most recoverWaitMin, so that recover runs.
func (d *Delivery) sleep(ctx context.Context, w time.Duration, wakeable bool) {
	if (w <= 0 || w > recoverWaitMin) && d.needsRecover() {
		w = recoverWaitMin
	}
	var tc <-chan time.Time
	if w > 0 {
		c, stop := d.newTimer(w)
		defer stop()
		tc = c
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
func (d *Delivery) liveKey(m Message) string { return d.dest + "/" + m.EditKey }

// deliver makes one attempt for the head m (and the posts batched with it);
// live is the id of m's live message in edit mode. Its error is a store
// failure; send failures are handled here.
func (d *Delivery) deliver(ctx context.Context, m Message, live string) error {
	p, err := decodePayload(m.Body)
	if err != nil {
		d.giveUp(ctx, []Message{m}, discord.ReasonBadRequest, "undecodable payload: "+err.Error())
		return nil
	}
	if m.EditKey != "" {
		return d.deliverEdit(ctx, m, p, live)
	}
	batch := []Message{m}
	if d.solo != m.ID && m.ID > 0 { // messages in memory go one by one
		batch, p = d.batch(ctx, m, p)
	}
	_, err = d.s.Post(ctx, &p) // a post's id is not needed: it is never edited
	return d.outcome(ctx, batch, err)
}

// batch merges the ready posts of m's priority queued right after m into p.
func (d *Delivery) batch(ctx context.Context, m Message, p render.Payload) ([]Message, render.Payload) {
	batch := []Message{m}
	rows, err := d.st.Pending(ctx, d.dest, maxBatchRows)
	if err != nil || len(rows) == 0 || rows[0].ID != m.ID {
		return batch, p
	}
	now := d.opts.Now()
	for _, r := range rows[1:] {
		if !d.applyChange(&r) {
			continue // delivered or given up, not yet written
		}
		if r.Priority != m.Priority || r.EditKey != "" || r.NextAttempt.After(now) {
			break
		}
		q, err := decodePayload(r.Body)
		if err != nil {
			break
		}
		merged := Batch([]render.Payload{p, q})
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
func (d *Delivery) deliverEdit(ctx context.Context, m Message, p render.Payload, live string) error {
	key := d.liveKey(m)
	if live != "" {
		err := d.s.Edit(ctx, live, &p)
		if discord.IsUnknownMessage(err) {
			d.log.Info("live message gone: posting a new one", "kind", m.Kind, "edit_key", m.EditKey)
			// The next round posts it, paced on the post route.
			d.setLive(ctx, key, "")
			return nil
		}
		return d.outcome(ctx, []Message{m}, err)
	}
	id, err := d.s.Post(ctx, &p)
	if err == nil && id != "" {
		d.setLive(ctx, key, id)
	}
	return d.outcome(ctx, []Message{m}, err)
}

// outcome records the result of one attempt for the rows it carried. What
// the store cannot record is kept in memory (see memQueue.changes), so a
// full disk neither stops the loop nor makes it send a message twice.
func (d *Delivery) outcome(ctx context.Context, rows []Message, err error) error {
	if err == nil {
		d.fails = 0
		if d.solo == rows[0].ID {
			d.solo = 0
		}
		now := d.opts.Now()
		for _, r := range rows {
			d.delivered(ctx, r)
			d.met.duration.Record(ctx, max(now.Sub(r.CreatedAt), 0).Seconds(), d.met.destOpt)
		}
		d.sent.Add(int64(len(rows)))
		d.met.sent.Add(ctx, int64(len(rows)), d.met.destOpt)
		d.left(ctx)
		return nil
	}
	if ctx.Err() != nil {
		// Stopping: the attempt was abandoned, not failed. The message
		// stays as it was (Discord may have it: at least once).
		return nil
	}
	m := rows[0]
	var se *discord.SendError
	if !errors.As(err, &se) {
		se = &discord.SendError{Retryable: false, Reason: discord.ReasonBadRequest, Err: err}
	}
	if !se.Retryable {
		if len(rows) > 1 && (se.Reason == discord.ReasonBadRequest || se.Reason == discord.ReasonTooLarge) {
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
	if se.Reason == discord.ReasonRateLimited {
		d.rateLimited.Add(1)
		d.met.limited(ctx, se.Scope)
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
		d.giveUp(ctx, []Message{m}, discord.ReasonExpired, fmt.Sprintf("retried for %s (max %s): %s",
			now.Sub(m.CreatedAt).Round(time.Second), d.opts.MaxAge, se.Error()))
		return nil
	}
	// The store keeps milliseconds: round up so the wait is never cut short.
	next := now.Add(wait).Truncate(time.Millisecond).Add(time.Millisecond)
	if err := d.reschedule(ctx, m, m.Attempts+1, next, se.Error()); err != nil {
		return nil // dropped or superseded meanwhile: move on
	}
	d.retries.Add(1)
	d.met.retries.Add(ctx, 1, d.met.destOpt)
	if se.Reason != discord.ReasonRateLimited {
		d.log.Info("delivery failed, will retry", "kind", m.Kind, "attempt", m.Attempts+1, "retry_in", wait.Round(time.Millisecond), "err", se)
	}
	return nil
}

// giveUp moves rows to the failed messages (messages only in memory are
// just removed) and counts them.
func (d *Delivery) giveUp(ctx context.Context, rows []Message, reason, detail string) {
	n := 0
	for _, r := range rows {
		if !d.abandon(ctx, r, reason+": "+detail) {
			continue // dropped or superseded meanwhile
		}
		n++
		d.log.Warn("message given up", "kind", r.Kind, "id", r.ID, "durable", r.ID > 0, "reason", reason, "attempts", r.Attempts+1, "err", detail)
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
	d.refreshDepth(ctx)
	d.signal()
}

// refreshDepth reads the outbox depth, less the rows delivered or given up
// whose removal the store could not write yet.
func (d *Delivery) refreshDepth(ctx context.Context) {
	if n, err := d.st.Depth(ctx, d.dest); err == nil {
		d.depth.Store(int64(max(n-d.goneThrough(math.MaxInt64), 0)))
	}
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

func decodePayload(b []byte) (render.Payload, error) {
	var p render.Payload
	if err := json.Unmarshal(b, &p); err != nil {
		return render.Payload{}, err
	}
	return p, nil
}

// StartNewLiveMessages forgets the live (edit-mode) messages of editKeys so
// that the next report of each is posted anew: DESIGN §3's "the first post
// after start". Call it before Start.
func (d *Delivery) StartNewLiveMessages(ctx context.Context, editKeys ...string) error {
	var errs []error
	for _, k := range editKeys {
		key := d.dest + "/" + k
		d.qmu.Lock()
		delete(d.mem.live, key)
		d.qmu.Unlock()
		if err := d.st.Delete(ctx, liveNS, key); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
