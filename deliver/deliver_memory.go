package deliver

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/nexusmon/nexusmon/internal/storeapi"
	"github.com/nexusmon/nexusmon/report"
)

// Bounds of the memory queue that carries messages while the store cannot
// write. Beyond either, the oldest report is dropped (counted in
// nexusmon.messages.memory_dropped); only when no report is left, the
// oldest alert.
const (
	MemoryQueueMessages = 256
	MemoryQueueBytes    = 8 << 20 // rendered payloads, attachments included
)

// While something waits in memory, the loop tries to write it to the store
// after recoverWaitMin, doubling up to recoverWaitMax, and at most every
// recoverWaitMin once another write to the store succeeded.
const (
	recoverWaitMin = time.Second
	recoverWaitMax = 30 * time.Second
)

// memQueue is what the store could not write. Guarded by Delivery.qmu.
type memQueue struct {
	// on: messages or state wait here; new ones join them, so that nothing
	// overtakes them into the outbox.
	on bool
	// msgs are pending messages in sending order (priority, then age),
	// with ids -1, -2, … (seq = -id) that never collide with outbox ids.
	msgs  []Message
	bytes int
	seq   int64
	// kv is the state to write with msgs, the newest per key.
	kv map[string]KV
	// changes are outbox rows whose delivery, give-up or new schedule the
	// store could not record; the loop applies them to what it reads.
	changes map[int64]rowChange
	// live are live message ids the store could not record; nil: deleted.
	live map[string]*string
}

// rowChange is an outbox row's change not yet written.
type rowChange struct {
	gone     bool   // delivered (reason "") or given up (reason set): skip it
	reason   string // why it was given up
	attempts int    // a new schedule, when not gone
	next     time.Time
	lastErr  string
}

func newMemQueue() memQueue {
	return memQueue{kv: map[string]KV{}, changes: map[int64]rowChange{}, live: map[string]*string{}}
}

// toMemory queues rows and kv in memory (qmu held).
func (d *Delivery) toMemory(ctx context.Context, kv []KV, rows []Message) {
	q := &d.mem
	q.on = true
	for _, w := range kv {
		q.kv[w.NS+"\x00"+w.Key] = w
	}
	superseded := 0
	for _, m := range rows {
		q.seq++
		m.ID = -q.seq
		m.CreatedAt = m.CreatedAt.Truncate(time.Millisecond) // as the store keeps it, for ordering against the outbox
		if m.EditKey != "" {
			q.msgs = slices.DeleteFunc(q.msgs, func(o Message) bool {
				if o.EditKey == m.EditKey && o.Attempts == 0 {
					q.bytes -= len(o.Body)
					superseded++
					return true
				}
				return false
			})
		}
		at := len(q.msgs)
		for at > 0 && q.msgs[at-1].Priority > m.Priority {
			at--
		}
		q.msgs = slices.Insert(q.msgs, at, m)
		q.bytes += len(m.Body)
	}
	if superseded > 0 {
		d.drop(ctx, superseded)
	}
	d.trimMemory(ctx)
}

// trimMemory applies the memory queue's bounds (qmu held).
func (d *Delivery) trimMemory(ctx context.Context) {
	q := &d.mem
	dropped, alerts := 0, 0
	for len(q.msgs) > 0 && (len(q.msgs) > MemoryQueueMessages || q.bytes > MemoryQueueBytes) {
		victim := -1
		for i, m := range q.msgs {
			if m.Priority >= report.PriorityReport && (victim < 0 || m.ID > q.msgs[victim].ID) {
				victim = i // the oldest report: ids count down
			}
		}
		if victim < 0 {
			victim = len(q.msgs) - 1
			for i, m := range q.msgs {
				if m.ID > q.msgs[victim].ID {
					victim = i
				}
			}
			alerts++
		}
		q.bytes -= len(q.msgs[victim].Body)
		q.msgs = slices.Delete(q.msgs, victim, victim+1)
		dropped++
	}
	if dropped == 0 {
		return
	}
	d.dropped.Add(int64(dropped))
	d.met.memDropped.Add(ctx, int64(dropped), d.met.destOpt)
	d.log.Warn("memory queue full: dropped the oldest messages", "dropped", dropped, "alerts", alerts,
		"max_messages", MemoryQueueMessages, "max_bytes", MemoryQueueBytes)
	d.signal()
}

// Durable reports whether everything queued is in the store: false while
// messages or state wait in memory because the store could not write them.
func (d *Delivery) Durable() bool {
	d.qmu.Lock()
	defer d.qmu.Unlock()
	return !d.mem.on
}

// MemoryDepth returns how many messages wait in memory.
func (d *Delivery) MemoryDepth() int {
	d.qmu.Lock()
	defer d.qmu.Unlock()
	return len(d.mem.msgs)
}

// memMark returns the seq of the newest message in memory (0 when none)
// and how many times the memory queue moved into the outbox.
func (d *Delivery) memMark() (int64, int64) {
	d.qmu.Lock()
	defer d.qmu.Unlock()
	var last int64
	for _, m := range d.mem.msgs {
		last = max(last, -m.ID)
	}
	return last, d.restores.Load()
}

// memThrough counts the messages in memory with a seq up to last.
func (d *Delivery) memThrough(last int64) int {
	d.qmu.Lock()
	defer d.qmu.Unlock()
	n := 0
	for _, m := range d.mem.msgs {
		if -m.ID <= last {
			n++
		}
	}
	return n
}

// goneThrough counts the outbox rows up to id last that are delivered or
// given up but still in the store.
func (d *Delivery) goneThrough(last int64) int {
	d.qmu.Lock()
	defer d.qmu.Unlock()
	n := 0
	for id, c := range d.mem.changes {
		if c.gone && id <= last {
			n++
		}
	}
	return n
}

// next returns the message to send next: the outbox's or the memory
// queue's first, whichever comes first by priority, then age (the outbox on
// a tie). When the outbox cannot be read, the memory queue still is.
func (d *Delivery) next(ctx context.Context) (Message, bool, error) {
	m, ok, err := d.outboxHead(ctx)
	d.qmu.Lock()
	mok := len(d.mem.msgs) > 0
	var mm Message
	if mok {
		mm = d.mem.msgs[0]
	}
	d.qmu.Unlock()
	switch {
	case !mok:
		return m, ok, err
	case err != nil || !ok, mm.Priority < m.Priority, mm.Priority == m.Priority && mm.CreatedAt.Before(m.CreatedAt):
		return mm, true, nil
	}
	return m, true, nil
}

// outboxHead returns the outbox's first row that is not delivered or given
// up, with its unwritten schedule applied.
func (d *Delivery) outboxHead(ctx context.Context) (Message, bool, error) {
	rows, err := d.st.Pending(ctx, d.dest, d.goneThrough(math.MaxInt64)+1)
	if err != nil {
		return Message{}, false, err
	}
	for _, r := range rows {
		if d.applyChange(&r) {
			return r, true, nil
		}
	}
	return Message{}, false, nil
}

// applyChange applies r's unwritten change to r and returns false when r is
// delivered or given up.
func (d *Delivery) applyChange(r *Message) bool {
	d.qmu.Lock()
	defer d.qmu.Unlock()
	c, ok := d.mem.changes[r.ID]
	switch {
	case !ok:
		return true
	case c.gone:
		return false
	}
	r.Attempts, r.NextAttempt, r.LastError = c.attempts, c.next, c.lastErr
	return true
}

// remember keeps an outbox row's change the store could not write; forget
// drops it once written.
func (d *Delivery) remember(id int64, c rowChange) {
	d.qmu.Lock()
	defer d.qmu.Unlock()
	d.mem.changes[id] = c
}

func (d *Delivery) forget(id int64) {
	d.qmu.Lock()
	defer d.qmu.Unlock()
	delete(d.mem.changes, id)
}

// delivered records that Discord accepted r.
func (d *Delivery) delivered(ctx context.Context, r Message) {
	if r.ID < 0 {
		d.memRemove(r.ID)
		d.met.notDurable.Add(ctx, 1, d.met.destOpt)
		return
	}
	if err := d.st.Ack(ctx, r.ID); err != nil {
		d.remember(r.ID, rowChange{gone: true}) // sent again after a restart before it is written
		return
	}
	d.forget(r.ID)
}

// reschedule records a failed attempt of m. It returns storeapi.ErrNotFound
// when m is gone meanwhile.
func (d *Delivery) reschedule(ctx context.Context, m Message, attempts int, next time.Time, lastErr string) error {
	if m.ID < 0 {
		d.qmu.Lock()
		defer d.qmu.Unlock()
		for i := range d.mem.msgs {
			if r := &d.mem.msgs[i]; r.ID == m.ID {
				r.Attempts, r.NextAttempt, r.LastError = attempts, next, lastErr
				return nil
			}
		}
		return storeapi.ErrNotFound
	}
	err := d.st.Retry(ctx, m.ID, attempts, next, lastErr)
	switch {
	case errors.Is(err, storeapi.ErrNotFound):
		d.forget(m.ID)
		return err
	case err != nil:
		d.remember(m.ID, rowChange{attempts: attempts, next: next, lastErr: lastErr})
	default:
		d.forget(m.ID)
	}
	return nil
}

// abandon gives r up; it returns false when r was gone meanwhile.
func (d *Delivery) abandon(ctx context.Context, r Message, reason string) bool {
	if r.ID < 0 {
		return d.memRemove(r.ID)
	}
	err := d.st.Fail(ctx, r.ID, reason)
	switch {
	case errors.Is(err, storeapi.ErrNotFound):
		d.forget(r.ID)
		return false
	case err != nil:
		d.remember(r.ID, rowChange{gone: true, reason: reason})
	default:
		d.forget(r.ID)
	}
	return true
}

// memRemove removes the message id from memory and reports whether it was
// there.
func (d *Delivery) memRemove(id int64) bool {
	d.qmu.Lock()
	defer d.qmu.Unlock()
	q := &d.mem
	for i, m := range q.msgs {
		if m.ID == id {
			q.bytes -= len(m.Body)
			q.msgs = slices.Delete(q.msgs, i, i+1)
			return true
		}
	}
	return false
}

// liveID returns the id of m's live message, "" when there is none.
func (d *Delivery) liveID(ctx context.Context, m Message) (string, error) {
	key := d.liveKey(m)
	d.qmu.Lock()
	v, ok := d.mem.live[key]
	d.qmu.Unlock()
	if ok {
		if v == nil {
			return "", nil
		}
		return *v, nil
	}
	b, ok, err := d.st.Get(ctx, liveNS, key)
	if err != nil || !ok {
		return "", err
	}
	return string(b), nil
}

// setLive records the live message id of key ("" forgets it), in memory
// when the store cannot write.
func (d *Delivery) setLive(ctx context.Context, key, id string) {
	var err error
	if id == "" {
		err = d.st.Delete(ctx, liveNS, key)
	} else {
		err = d.st.Put(ctx, liveNS, key, []byte(id))
	}
	d.qmu.Lock()
	defer d.qmu.Unlock()
	if err == nil {
		delete(d.mem.live, key)
		return
	}
	d.log.Warn("remember live message: kept in memory until the store can write", "edit_key", strings.TrimPrefix(key, d.dest+"/"), "err", err)
	var v *string
	if id != "" {
		v = &id
	}
	d.mem.live[key] = v
}

// needsRecover reports whether something waits in memory for the store.
func (d *Delivery) needsRecover() bool {
	d.qmu.Lock()
	defer d.qmu.Unlock()
	return d.mem.on || len(d.mem.changes) > 0 || len(d.mem.live) > 0
}

// recover writes what waits in memory to the store when it is time to try
// (force: now). The loop calls it before each message.
func (d *Delivery) recover(ctx context.Context, force bool) {
	if !d.needsRecover() {
		return
	}
	now := d.opts.Now()
	if !force && now.Before(d.recoverAt) {
		// Another write succeeded meanwhile: there may be room again.
		if !d.st.Status().Writable || now.Before(d.lastRecover.Add(recoverWaitMin)) {
			return
		}
	}
	d.lastRecover = now
	if d.restore(ctx) && d.writeChanges(ctx) {
		d.recoverFails, d.recoverAt = 0, time.Time{}
		return
	}
	d.recoverFails++
	d.recoverAt = now.Add(min(recoverWaitMin<<min(d.recoverFails-1, 10), recoverWaitMax))
}

// restore moves the memory queue into the outbox with its state, in one
// transaction and in order, and reports whether it could.
func (d *Delivery) restore(ctx context.Context) bool {
	d.qmu.Lock()
	q := &d.mem
	if !q.on {
		d.qmu.Unlock()
		return true
	}
	keys := make([]string, 0, len(q.kv))
	for k := range q.kv {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	kv := make([]KV, 0, len(keys))
	for _, k := range keys {
		kv = append(kv, q.kv[k])
	}
	msgs := slices.Clone(q.msgs)
	for i := range msgs {
		msgs[i].ID = 0
	}
	_, superseded, err := d.st.EnqueueWith(ctx, kv, msgs...)
	if err != nil {
		d.qmu.Unlock()
		return false
	}
	q.on, q.msgs, q.bytes, q.kv = false, nil, 0, map[string]KV{}
	d.restores.Add(1)
	d.qmu.Unlock()
	d.log.Info("store writes again: the memory queue moved into the outbox, delivery is durable again",
		"messages", len(msgs), "state", len(kv))
	if superseded > 0 {
		d.drop(ctx, superseded)
	}
	d.bound(ctx)
	d.signal()
	return true
}

// writeChanges writes the outbox changes and live message ids kept in
// memory and reports whether all of them were written.
func (d *Delivery) writeChanges(ctx context.Context) bool {
	d.qmu.Lock()
	changes := make(map[int64]rowChange, len(d.mem.changes))
	for id, c := range d.mem.changes {
		changes[id] = c
	}
	live := make(map[string]string, len(d.mem.live))
	for k, v := range d.mem.live {
		live[k] = ""
		if v != nil {
			live[k] = *v
		}
	}
	d.qmu.Unlock()
	for id, c := range changes {
		var err error
		switch {
		case c.gone && c.reason == "":
			err = d.st.Ack(ctx, id)
		case c.gone:
			err = d.st.Fail(ctx, id, c.reason)
		default:
			err = d.st.Retry(ctx, id, c.attempts, c.next, c.lastErr)
		}
		if err != nil && !errors.Is(err, storeapi.ErrNotFound) {
			return false
		}
		d.forget(id)
	}
	for k, id := range live {
		d.setLive(ctx, k, id)
	}
	d.refreshDepth(ctx)
	return !d.needsRecover()
}
