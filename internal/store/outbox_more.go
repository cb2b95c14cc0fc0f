package store

import (
	"context"
	"database/sql"
)

// Pending returns up to limit pending messages of dest in sending order
// (priority, then id), the first being what Head returns. The delivery loop
// reads them to batch consecutive posts. limit ≤ 0 means 1.
func (s *Store) Pending(ctx context.Context, dest string, limit int) ([]Message, error) {
	out, err := s.pending(ctx, dest, max(limit, 1))
	return out, s.done(ctx, "read pending messages", false, err)
}

func (s *Store) pending(ctx context.Context, dest string, limit int) ([]Message, error) {
	rows, err := s.query(ctx,
		`SELECT `+messageColumns+` FROM outbox WHERE dest = ? ORDER BY priority, id LIMIT ?`, dest, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// LastID returns the highest id pending for dest, or 0 when its outbox is
// empty. With PendingThrough it lets a caller wait until everything queued
// so far is gone.
func (s *Store) LastID(ctx context.Context, dest string) (int64, error) {
	var id sql.NullInt64
	err := s.queryRow(ctx, `SELECT max(id) FROM outbox WHERE dest = ?`, dest).Scan(&id)
	return id.Int64, s.done(ctx, "read last outbox id", false, err)
}

// PendingThrough returns how many messages of dest with an id up to maxID
// are still pending.
func (s *Store) PendingThrough(ctx context.Context, dest string, maxID int64) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM outbox WHERE dest = ? AND id <= ?`, dest, maxID).Scan(&n)
	return n, s.done(ctx, "count pending messages", false, err)
}
