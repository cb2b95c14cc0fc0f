package discordexporter

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"

	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// memClient is a storage.Client (and storage.Walker) in memory: what the
// exporter uses when no storage extension is configured. Batch applies its
// operations atomically.
type memClient struct {
	mu sync.Mutex
	kv map[string][]byte
}

var (
	_ storage.Client = (*memClient)(nil)
	_ storage.Walker = (*memClient)(nil)
)

func newMemClient() *memClient { return &memClient{kv: map[string][]byte{}} }

func (c *memClient) Get(ctx context.Context, key string) ([]byte, error) {
	op := storage.GetOperation(key)
	err := c.Batch(ctx, op)
	return op.Value, err
}

func (c *memClient) Set(ctx context.Context, key string, value []byte) error {
	return c.Batch(ctx, storage.SetOperation(key, value))
}

func (c *memClient) Delete(ctx context.Context, key string) error {
	return c.Batch(ctx, storage.DeleteOperation(key))
}

func (c *memClient) Batch(ctx context.Context, ops ...*storage.Operation) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, op := range ops {
		switch op.Type {
		case storage.Get:
			if v, ok := c.kv[op.Key]; ok {
				op.Value = slices.Clone(v)
			} else {
				op.Value = nil
			}
		case storage.Set:
			c.kv[op.Key] = slices.Clone(op.Value)
		case storage.Delete:
			delete(c.kv, op.Key)
		default:
			return errors.New("batch: unknown operation type")
		}
	}
	return nil
}

// Walk calls fn for every key in key order; the operations fn returns are
// applied after the walk, all of them or none.
func (c *memClient) Walk(ctx context.Context, fn storage.WalkFunc) error {
	c.mu.Lock()
	keys := slices.Sorted(maps.Keys(c.kv))
	snap := maps.Clone(c.kv)
	c.mu.Unlock()
	var ops []*storage.Operation
	for _, k := range keys {
		more, err := fn(k, slices.Clone(snap[k]))
		if err != nil && !errors.Is(err, storage.SkipAll) {
			return err
		}
		ops = append(ops, more...)
		if err != nil {
			break
		}
	}
	return c.Batch(ctx, ops...)
}

func (c *memClient) Close(context.Context) error { return nil }
