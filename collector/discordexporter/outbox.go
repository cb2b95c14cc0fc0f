package discordexporter

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/nexusmon/nexusmon/deliver"
	"github.com/nexusmon/nexusmon/internal/storeapi"
)

// Keys in the storage client:
//
//	o/next        the next message id (ids are never reused)
//	o/m/<id>      a pending message, JSON (id zero-padded to 20 digits)
//	s/<ns>/<key>  state: live message ids, alert state, known instances
const (
	keyNext      = "o/next"
	prefixMsg    = "o/m/"
	prefixState  = "s/"
	idKeyDigits  = 20
	storeLabel   = "collector storage"
	classStorage = storeapi.ClassIO
)

// outbox is deliver.Outbox on a Collector storage client: every message is
// one key, written with the state it goes with in one Batch (one bbolt
// transaction in file_storage), and an index of the pending messages is
// kept in memory, read back with Walk when the exporter starts. Failed
// messages are logged and counted by the Delivery, then deleted: the
// storage keeps no table of them.
type outbox struct {
	c   storage.Client
	now func() time.Time

	mu      sync.Mutex
	pending map[int64]storeapi.Message
	next    int64
	status  storeapi.Status
}

var _ deliver.Outbox = (*outbox)(nil)

// openOutbox reads the pending messages of c. c must list its keys
// (storage.Walker): file_storage and the in-memory client do.
func openOutbox(ctx context.Context, c storage.Client, now func() time.Time) (*outbox, error) {
	w, ok := c.(storage.Walker)
	if !ok {
		return nil, errors.New("open outbox: the storage client cannot list its keys (storage.Walker)")
	}
	o := &outbox{c: c, now: now, pending: map[int64]storeapi.Message{}, next: 1,
		status: storeapi.Status{Path: storeLabel, OK: true, Writable: true}}
	err := w.Walk(ctx, func(key string, value []byte) ([]*storage.Operation, error) {
		switch {
		case key == keyNext:
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", key, err)
			}
			o.next = max(o.next, n)
		case strings.HasPrefix(key, prefixMsg):
			var m storeapi.Message
			if err := json.Unmarshal(value, &m); err != nil {
				return nil, fmt.Errorf("read %s: %w", key, err)
			}
			o.pending[m.ID] = m
			o.next = max(o.next, m.ID+1)
		}
		return nil, nil
	})
	if err != nil {
		return nil, fmt.Errorf("open outbox: %w", err)
	}
	return o, nil
}

func msgKey(id int64) string { return fmt.Sprintf("%s%0*d", prefixMsg, idKeyDigits, id) }

func stateKey(ns, key string) string { return prefixState + ns + "/" + key }

// write runs ops in one batch and keeps the status; mu is held.
func (o *outbox) write(ctx context.Context, op string, ops ...*storage.Operation) error {
	if err := o.c.Batch(ctx, ops...); err != nil {
		o.status.OK, o.status.Writable = false, false
		o.status.Errors++
		o.status.WriteErrors++
		o.status.WriteErrorClass = classStorage
		o.status.LastError, o.status.LastErrorAt = op, o.now().UTC()
		return fmt.Errorf("%s: %w", op, err)
	}
	o.status.OK, o.status.Writable = true, true
	return nil
}

func encodeMsg(m storeapi.Message) (*storage.Operation, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode message %d: %w", m.ID, err)
	}
	return storage.SetOperation(msgKey(m.ID), b), nil
}

// EnqueueWith implements deliver.Outbox: kv and msgs in one batch, an edit
// superseding the never-attempted pending edits of its destination and key.
func (o *outbox) EnqueueWith(ctx context.Context, kv []deliver.KV, msgs ...deliver.Message) ([]int64, int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	ops := make([]*storage.Operation, 0, len(kv)+len(msgs)+1)
	for _, w := range kv {
		v := w.Value
		if v == nil {
			v = []byte{}
		}
		ops = append(ops, storage.SetOperation(stateKey(w.NS, w.Key), v))
	}
	if len(msgs) == 0 {
		return nil, 0, o.write(ctx, "put state", ops...)
	}
	ids := make([]int64, len(msgs))
	added := make([]storeapi.Message, 0, len(msgs))
	gone := map[int64]bool{}
	next := o.next
	for i, m := range msgs {
		if m.Dest == "" {
			return nil, 0, errors.New("enqueue message: empty destination")
		}
		if m.CreatedAt.IsZero() {
			m.CreatedAt = o.now()
		}
		if m.Body == nil {
			m.Body = []byte{}
		}
		if m.EditKey != "" {
			for id, p := range o.pending {
				if p.Dest == m.Dest && p.EditKey == m.EditKey && p.Attempts == 0 && !gone[id] {
					gone[id] = true
					ops = append(ops, storage.DeleteOperation(msgKey(id)))
				}
			}
			for j := range added {
				if a := added[j]; a.Dest == m.Dest && a.EditKey == m.EditKey && a.Attempts == 0 && !gone[a.ID] {
					gone[a.ID] = true
					ops = append(ops, storage.DeleteOperation(msgKey(a.ID)))
				}
			}
		}
		m.ID = next
		next++
		op, err := encodeMsg(m)
		if err != nil {
			return nil, 0, err
		}
		ops = append(ops, op)
		ids[i] = m.ID
		added = append(added, m)
	}
	ops = append(ops, storage.SetOperation(keyNext, []byte(strconv.FormatInt(next, 10))))
	if err := o.write(ctx, "enqueue message", ops...); err != nil {
		return nil, 0, err
	}
	o.next = next
	for id := range gone { // pending ones, and msgs superseded by later msgs
		delete(o.pending, id)
	}
	for _, m := range added {
		if !gone[m.ID] {
			o.pending[m.ID] = m
		}
	}
	return ids, len(gone), nil
}

// sorted returns dest's pending messages in sending order; mu is held.
func (o *outbox) sorted(dest string) []storeapi.Message {
	var out []storeapi.Message
	for _, m := range o.pending {
		if m.Dest == dest {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b storeapi.Message) int {
		return cmp.Or(cmp.Compare(a.Priority, b.Priority), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Pending implements deliver.Outbox.
func (o *outbox) Pending(_ context.Context, dest string, limit int) ([]deliver.Message, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.sorted(dest)
	return s[:min(len(s), max(limit, 1))], nil
}

// Ack implements deliver.Outbox.
func (o *outbox) Ack(ctx context.Context, id int64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.write(ctx, "ack message", storage.DeleteOperation(msgKey(id))); err != nil {
		return err
	}
	delete(o.pending, id)
	return nil
}

// Retry implements deliver.Outbox.
func (o *outbox) Retry(ctx context.Context, id int64, attempts int, next time.Time, lastErr string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	m, ok := o.pending[id]
	if !ok {
		return fmt.Errorf("retry message %d: %w", id, storeapi.ErrNotFound)
	}
	m.Attempts, m.NextAttempt, m.LastError = attempts, next, lastErr
	op, err := encodeMsg(m)
	if err != nil {
		return err
	}
	if err := o.write(ctx, "retry message", op); err != nil {
		return err
	}
	o.pending[id] = m
	return nil
}

// Fail implements deliver.Outbox: the message is removed (the Delivery has
// logged and counted it).
func (o *outbox) Fail(ctx context.Context, id int64, _ string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.pending[id]; !ok {
		return fmt.Errorf("fail message %d: %w", id, storeapi.ErrNotFound)
	}
	if err := o.write(ctx, "fail message", storage.DeleteOperation(msgKey(id))); err != nil {
		return err
	}
	delete(o.pending, id)
	return nil
}

// Depth implements deliver.Outbox.
func (o *outbox) Depth(_ context.Context, dest string) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, m := range o.pending {
		if m.Dest == dest {
			n++
		}
	}
	return n, nil
}

// DropOldest implements deliver.Outbox: alerts (priority 0) are never
// dropped.
func (o *outbox) DropOldest(ctx context.Context, dest string, minPriority int, n int) (int, error) {
	if n <= 0 {
		return 0, nil
	}
	minPriority = max(minPriority, 1)
	o.mu.Lock()
	defer o.mu.Unlock()
	var ids []int64
	for id, m := range o.pending {
		if m.Dest == dest && m.Priority >= minPriority {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	ids = ids[:min(n, len(ids))]
	ops := make([]*storage.Operation, len(ids))
	for i, id := range ids {
		ops[i] = storage.DeleteOperation(msgKey(id))
	}
	if len(ops) == 0 {
		return 0, nil
	}
	if err := o.write(ctx, "drop oldest messages", ops...); err != nil {
		return 0, err
	}
	for _, id := range ids {
		delete(o.pending, id)
	}
	return len(ids), nil
}

// LastID implements deliver.Outbox.
func (o *outbox) LastID(_ context.Context, dest string) (int64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var last int64
	for id, m := range o.pending {
		if m.Dest == dest {
			last = max(last, id)
		}
	}
	return last, nil
}

// PendingThrough implements deliver.Outbox.
func (o *outbox) PendingThrough(_ context.Context, dest string, maxID int64) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for id, m := range o.pending {
		if m.Dest == dest && id <= maxID {
			n++
		}
	}
	return n, nil
}

// Get implements deliver.Outbox (and the report engine's state reads).
func (o *outbox) Get(ctx context.Context, ns, key string) ([]byte, bool, error) {
	v, err := o.c.Get(ctx, stateKey(ns, key))
	if err != nil {
		return nil, false, fmt.Errorf("get %s/%s: %w", ns, key, err)
	}
	return v, v != nil, nil
}

// Put implements deliver.Outbox.
func (o *outbox) Put(ctx context.Context, ns, key string, value []byte) error {
	if value == nil {
		value = []byte{}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.write(ctx, "put state", storage.SetOperation(stateKey(ns, key), value))
}

// Delete implements deliver.Outbox.
func (o *outbox) Delete(ctx context.Context, ns, key string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.write(ctx, "delete state", storage.DeleteOperation(stateKey(ns, key)))
}

// Status implements deliver.Outbox.
func (o *outbox) Status() storeapi.Status {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.status
}
