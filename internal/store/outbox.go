package store

import (
	"github.com/nexusmon/nexusmon/internal/storeapi"

	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Message, FailedMessage and KV are the outbox's types (package storeapi).
type (
	Message       = storeapi.Message
	FailedMessage = storeapi.FailedMessage
	KV            = storeapi.KV
)

const messageColumns = `id, dest, priority, kind, edit_key, body, created_at, attempts, next_attempt, last_error`

// Enqueue adds m to the outbox of m.Dest and returns its id. When m is an
// edit (m.EditKey != ""), it first deletes, in the same transaction, the
// pending edits of the same destination and key that were never attempted:
// they are superseded (their data is in the history), and superseded says how
// many there were. Posts are never deleted here, nor edits already attempted
// (one may be in flight).
func (s *Store) Enqueue(ctx context.Context, m Message) (id int64, superseded int, err error) {
	ids, superseded, err := s.EnqueueWith(ctx, nil, m)
	if err != nil {
		return 0, 0, err
	}
	return ids[0], superseded, nil
}

// EnqueueWith writes kv (as Put does) and adds msgs to their outboxes (as
// Enqueue does, edits superseding earlier ones, also among msgs) in one
// transaction: either all of it is stored or, on error, none of it. A caller
// that records "notified" state together with the notification thus leaves
// no point at which a crash keeps the state but loses the message. It
// returns the messages' ids, in order, and how many pending edits were
// superseded. Without msgs it is a transactional Put of every kv.
func (s *Store) EnqueueWith(ctx context.Context, kv []KV, msgs ...Message) (ids []int64, superseded int, err error) {
	const op = "enqueue message"
	if len(msgs) == 0 {
		const op = "put state"
		return nil, 0, s.done(ctx, op, true, s.writeTx(ctx, op, kv, nil, nil))
	}
	for i := range msgs {
		m := &msgs[i]
		if m.Dest == "" {
			return nil, 0, errors.New("enqueue message: empty destination")
		}
		if m.CreatedAt.IsZero() {
			m.CreatedAt = s.now()
		}
		if m.Body == nil {
			m.Body = []byte{}
		}
	}
	ids = make([]int64, len(msgs))
	err = s.writeTx(ctx, op, kv, msgs, func(i int, id int64, sup int64) {
		ids[i] = id
		superseded += int(sup)
	})
	if err != nil {
		return nil, 0, s.done(ctx, op, true, err)
	}
	return ids, superseded, s.done(ctx, op, true, nil)
}

// writeTx runs EnqueueWith's transaction; added is told each message's id
// and how many edits it superseded.
func (s *Store) writeTx(ctx context.Context, op string, kv []KV, msgs []Message, added func(i int, id, superseded int64)) error {
	if err := s.fault(op, FaultWrite); err != nil {
		return err
	}
	ctx, err := writeCtx(ctx)
	if err != nil {
		return err
	}
	var queries []string // prepared before the transaction: see sampleStmts
	if len(kv) > 0 {
		queries = append(queries, putSQL)
	}
	if len(msgs) > 0 {
		queries = append(queries, supersedeSQL, enqueueSQL)
	}
	if _, err := s.prepare(ctx, queries...); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := s.fillTx(ctx, tx, op, kv, msgs, added); err != nil {
		rollback(tx)
		return err
	}
	return tx.Commit()
}

func (s *Store) fillTx(ctx context.Context, tx *sql.Tx, op string, kv []KV, msgs []Message, added func(i int, id, superseded int64)) error {
	now := toMS(s.now())
	for _, w := range kv {
		v := w.Value
		if v == nil {
			v = []byte{}
		}
		if _, err := s.txExec(ctx, tx, putSQL, w.NS, w.Key, v, now); err != nil {
			return err
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	if err := s.fault(op, FaultOutbox); err != nil {
		return err
	}
	for i, m := range msgs {
		var superseded int64
		if m.EditKey != "" {
			res, err := s.txExec(ctx, tx, supersedeSQL, m.Dest, m.EditKey)
			if err != nil {
				return err
			}
			if superseded, err = res.RowsAffected(); err != nil {
				return err
			}
		}
		res, err := s.txExec(ctx, tx, enqueueSQL,
			m.Dest, m.Priority, m.Kind, m.EditKey, m.Body, toMS(m.CreatedAt), m.Attempts, toMS(m.NextAttempt), m.LastError)
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		added(i, id, superseded)
	}
	return nil
}

// The outbox's statements run within a transaction (prepared before it).
const (
	supersedeSQL = `DELETE FROM outbox WHERE dest = ? AND edit_key = ? AND attempts = 0`
	enqueueSQL   = `INSERT INTO outbox (dest, priority, kind, edit_key, body, created_at, attempts, next_attempt, last_error)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	failSQL = `INSERT INTO outbox_failed (` + messageColumns + `, reason, failed_at)
		 SELECT ` + messageColumns + `, ?, ? FROM outbox WHERE id = ?`
	ackSQL = `DELETE FROM outbox WHERE id = ?`
)

// Head returns the message of dest to send next: the lowest priority, then
// the oldest. It ignores NextAttempt, so order is kept: the caller waits until
// NextAttempt before sending. It returns false when the outbox is empty.
func (s *Store) Head(ctx context.Context, dest string) (Message, bool, error) {
	row := s.queryRow(ctx,
		`SELECT `+messageColumns+` FROM outbox WHERE dest = ? ORDER BY priority, id LIMIT 1`, dest)
	m, err := scanMessage(row.Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, false, s.done(ctx, "read outbox head", false, nil)
	}
	if err != nil {
		return Message{}, false, s.done(ctx, "read outbox head", false, err)
	}
	return m, true, s.done(ctx, "read outbox head", false, nil)
}

// Ack deletes a delivered message. Acknowledging a message that is already
// gone (superseded or dropped meanwhile) is not an error.
func (s *Store) Ack(ctx context.Context, id int64) error {
	const op = "ack message"
	err := s.fault(op, FaultWrite)
	if err == nil {
		_, err = s.execWrite(ctx, ackSQL, id)
	}
	return s.done(ctx, op, true, err)
}

// Retry records a failed attempt: the message keeps its place and is not to
// be sent before next. It returns ErrNotFound when the message is gone.
func (s *Store) Retry(ctx context.Context, id int64, attempts int, next time.Time, lastErr string) error {
	const op = "retry message"
	if err := s.fault(op, FaultWrite); err != nil {
		return s.done(ctx, op, true, err)
	}
	res, err := s.execWrite(ctx,
		`UPDATE outbox SET attempts = ?, next_attempt = ?, last_error = ? WHERE id = ?`,
		attempts, toMS(next), lastErr, id)
	if err == nil {
		err = notFound(res, id)
	}
	return s.done(ctx, op, true, err)
}

// Fail gives a message up: it moves it from the outbox to the failed messages
// with reason. It returns ErrNotFound when the message is gone.
func (s *Store) Fail(ctx context.Context, id int64, reason string) error {
	return s.done(ctx, "fail message", true, s.fail(ctx, id, reason))
}

func (s *Store) fail(ctx context.Context, id int64, reason string) error {
	if err := s.fault("fail message", FaultWrite); err != nil {
		return err
	}
	ctx, err := writeCtx(ctx)
	if err != nil {
		return err
	}
	if _, err := s.prepare(ctx, failSQL, ackSQL); err != nil { // before the transaction
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	res, err := s.txExec(ctx, tx, failSQL, reason, toMS(s.now()), id)
	if err == nil {
		err = notFound(res, id)
	}
	if err == nil {
		_, err = s.txExec(ctx, tx, ackSQL, id)
	}
	if err != nil {
		rollback(tx)
		return err
	}
	return tx.Commit()
}

// Failed returns the failed messages of dest, newest first; limit ≤ 0 means
// no limit.
func (s *Store) Failed(ctx context.Context, dest string, limit int) ([]FailedMessage, error) {
	out, err := s.failed(ctx, dest, limit)
	return out, s.done(ctx, "read failed messages", false, err)
}

func (s *Store) failed(ctx context.Context, dest string, limit int) ([]FailedMessage, error) {
	if limit <= 0 {
		limit = -1 // SQLite: a negative LIMIT means none
	}
	rows, err := s.query(ctx,
		`SELECT `+messageColumns+`, reason, failed_at FROM outbox_failed
		 WHERE dest = ? ORDER BY failed_at DESC, id DESC LIMIT ?`, dest, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []FailedMessage
	for rows.Next() {
		var (
			f        FailedMessage
			failedAt int64
		)
		m, err := scanMessage(func(dest ...any) error {
			return rows.Scan(append(dest, &f.Reason, &failedAt)...)
		})
		if err != nil {
			return nil, err
		}
		f.Message = m
		f.FailedAt = fromMS(failedAt)
		out = append(out, f)
	}
	return out, rows.Err()
}

// Depth returns how many messages of dest are pending.
func (s *Store) Depth(ctx context.Context, dest string) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM outbox WHERE dest = ?`, dest).Scan(&n)
	return n, s.done(ctx, "read outbox depth", false, err)
}

// DropOldest deletes up to n of the oldest pending messages of dest whose
// priority is at least minPriority, and returns how many it deleted. It is the
// queue-bound policy: reports may be dropped, alerts never, so priority 0
// messages are kept whatever minPriority says.
func (s *Store) DropOldest(ctx context.Context, dest string, minPriority int, n int) (int, error) {
	if n <= 0 {
		return 0, nil
	}
	minPriority = max(minPriority, 1)
	if err := s.fault("drop oldest messages", FaultWrite); err != nil {
		return 0, s.done(ctx, "drop oldest messages", true, err)
	}
	res, err := s.execWrite(ctx,
		`DELETE FROM outbox WHERE id IN (
			SELECT id FROM outbox WHERE dest = ? AND priority >= ? ORDER BY id LIMIT ?)`,
		dest, minPriority, n)
	var dropped int64
	if err == nil {
		dropped, err = res.RowsAffected()
	}
	return int(dropped), s.done(ctx, "drop oldest messages", true, err)
}

// scanMessage reads the messageColumns of one row through scan.
func scanMessage(scan func(dest ...any) error) (Message, error) {
	var (
		m                      Message
		createdAt, nextAttempt int64
	)
	if err := scan(&m.ID, &m.Dest, &m.Priority, &m.Kind, &m.EditKey, &m.Body,
		&createdAt, &m.Attempts, &nextAttempt, &m.LastError); err != nil {
		return Message{}, err
	}
	m.CreatedAt = fromMS(createdAt)
	m.NextAttempt = fromMS(nextAttempt)
	return m, nil
}

// notFound returns ErrNotFound when res changed no row.
func notFound(res sql.Result, id int64) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	return nil
}
