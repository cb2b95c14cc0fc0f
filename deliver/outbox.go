package deliver

import (
	"context"
	"time"

	"github.com/nexusmon/nexusmon/internal/storeapi"
)

// Outbox is the durable queue a Delivery drains, with the key-value state
// kept beside it (live message ids, and the alert state a Commit writes
// with its messages). internal/store's *Store implements it; a Collector
// exporter can implement it on its own storage. Every write of a failed
// store is reported by Status (Writable false, WriteErrorClass), which
// turns the Delivery to its in-memory queue until the store writes again.
type Outbox interface {
	// EnqueueWith writes kv and adds msgs in one transaction, all or
	// nothing: ids in order, and how many pending edits of the same
	// destination and key that were never attempted it deleted. Without
	// msgs it writes kv alone.
	EnqueueWith(ctx context.Context, kv []KV, msgs ...Message) (ids []int64, superseded int, err error)
	// Pending returns up to limit pending messages of dest in sending
	// order (priority, then id), NextAttempt not considered; limit ≤ 0
	// means 1.
	Pending(ctx context.Context, dest string, limit int) ([]Message, error)
	// Ack removes a delivered message. Retry and Fail return
	// storeapi.ErrNotFound (wrapped) when the message is gone.
	Ack(ctx context.Context, id int64) error
	Retry(ctx context.Context, id int64, attempts int, next time.Time, lastErr string) error
	Fail(ctx context.Context, id int64, reason string) error
	Depth(ctx context.Context, dest string) (int, error)
	DropOldest(ctx context.Context, dest string, minPriority int, n int) (int, error)
	LastID(ctx context.Context, dest string) (int64, error)
	PendingThrough(ctx context.Context, dest string, maxID int64) (int, error)

	Get(ctx context.Context, ns, key string) ([]byte, bool, error)
	Put(ctx context.Context, ns, key string, value []byte) error
	Delete(ctx context.Context, ns, key string) error

	Status() storeapi.Status
}

// Message is one rendered message in the outbox (Body is the JSON of a
// render.Payload); KV is one state write.
type (
	Message = storeapi.Message
	KV      = storeapi.KV
)
