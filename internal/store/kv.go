package store

import (
	"context"
	"database/sql"
	"errors"
)

// Get returns the value stored under ns and key, and false when there is
// none.
func (s *Store) Get(ctx context.Context, ns, key string) ([]byte, bool, error) {
	var v []byte
	err := s.queryRow(ctx, `SELECT value FROM kv WHERE ns = ? AND key = ?`, ns, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, s.done(ctx, "get state", false, nil)
	}
	if err != nil {
		return nil, false, s.done(ctx, "get state", false, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, true, s.done(ctx, "get state", false, nil)
}

// putSQL stores a value: ns, key, value, updated_at.
const putSQL = `INSERT INTO kv (ns, key, value, updated_at) VALUES (?, ?, ?, ?)
	ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`

// Put stores value under ns and key, replacing any previous value.
func (s *Store) Put(ctx context.Context, ns, key string, value []byte) error {
	const op = "put state"
	if value == nil {
		value = []byte{}
	}
	err := s.fault(op, FaultWrite)
	if err == nil {
		_, err = s.execWrite(ctx, putSQL, ns, key, value, toMS(s.now()))
	}
	return s.done(ctx, op, true, err)
}

// PutAll stores every kv in one transaction (EnqueueWith without
// messages): all of them or, on error, none.
func (s *Store) PutAll(ctx context.Context, kv []KV) error {
	_, _, err := s.EnqueueWith(ctx, kv)
	return err
}

// Delete removes the value under ns and key. Deleting a missing key is not an
// error.
func (s *Store) Delete(ctx context.Context, ns, key string) error {
	const op = "delete state"
	err := s.fault(op, FaultWrite)
	if err == nil {
		_, err = s.execWrite(ctx, `DELETE FROM kv WHERE ns = ? AND key = ?`, ns, key)
	}
	return s.done(ctx, op, true, err)
}
