package store

import (
	"context"
	"time"
)

// Prune deletes history, samples and failed outbox messages older than
// before, in one transaction, and returns how many rows it deleted. It never
// deletes pending outbox messages (they are bounded by DropOldest) or
// key-value state. Freed pages are reused by later writes; the file does not
// shrink. History saved and not yet committed (WithFlushInterval) is
// committed first.
func (s *Store) Prune(ctx context.Context, before time.Time) (int64, error) {
	s.flush(ctx)
	n, err := s.prune(ctx, toMS(before))
	if err == nil {
		s.mu.Lock()
		s.sizeAt = time.Time{} // refresh the size on the next Status
		s.mu.Unlock()
	}
	return n, s.done(ctx, "prune", true, err)
}

func (s *Store) prune(ctx context.Context, before int64) (int64, error) {
	if err := s.fault("prune", FaultWrite); err != nil {
		return 0, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, q := range []string{
		`DELETE FROM reports WHERE at < ?`,
		`DELETE FROM samples WHERE at < ?`,
		`DELETE FROM outbox_failed WHERE failed_at < ?`,
	} {
		res, err := tx.ExecContext(ctx, q, before)
		if err != nil {
			rollback(tx)
			return 0, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			rollback(tx)
			return 0, err
		}
		total += n
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return total, nil
}
