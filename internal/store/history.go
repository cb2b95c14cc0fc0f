package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Record is one stored report.
type Record struct {
	At   time.Time // when the report was made, UTC, millisecond precision
	Kind string    // the report's event name, e.g. "detailed_system_monitoring"
	Data []byte    // the report's JSON "data"
}

// SaveReport stores the data of one report of kind made at at. data is the
// caller's again when it returns. With WithFlushInterval it is committed
// later, and the error can be that of an earlier save's failed commit.
func (s *Store) SaveReport(ctx context.Context, at time.Time, kind string, data []byte) error {
	if data == nil {
		data = []byte{}
	}
	const op = "save report"
	if ok, err := s.buffer(ctx, op, toMS(at), kind, true, data, nil); ok {
		return err
	}
	err := s.fault(op, FaultWrite)
	if err == nil {
		_, err = s.execWrite(ctx, insertReportSQL, kind, toMS(at), data)
	}
	return s.done(ctx, op, true, err)
}

const insertReportSQL = `INSERT INTO reports (kind, at, data) VALUES (?, ?, ?)`

// SaveReportAndSamples stores the data of one report of kind made at at and
// the report's samples (SaveSamples' values, at the same time) in one
// transaction: one commit instead of two, and the report and its samples
// are kept together or not at all. data is the caller's again when it
// returns. With WithFlushInterval they are committed later (SaveReport).
func (s *Store) SaveReportAndSamples(ctx context.Context, at time.Time, kind string, data []byte, values map[string]float64) error {
	const op = "save report"
	if ok, err := s.buffer(ctx, op, toMS(at), kind, true, data, values); ok {
		return err
	}
	args := sampleArgs(toMS(at), values)
	if len(args) == 0 {
		return s.SaveReport(ctx, at, kind, data)
	}
	if data == nil {
		data = []byte{}
	}
	err := s.fault(op, FaultWrite)
	if err == nil {
		err = s.saveReportAndSamples(ctx, toMS(at), kind, data, args)
	}
	return s.done(ctx, op, true, err)
}

func (s *Store) saveReportAndSamples(ctx context.Context, at int64, kind string, data []byte, args []any) error {
	ctx, err := writeCtx(ctx)
	if err != nil {
		return err
	}
	rst, err := s.stmt(ctx, insertReportSQL)
	if err != nil {
		return err
	}
	sts, err := s.sampleStmts(ctx, args) // before the transaction: see sampleStmts
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if _, err := tx.StmtContext(ctx, rst).ExecContext(ctx, kind, at, data); err != nil {
		rollback(tx)
		return err
	}
	if err := insertSamples(ctx, tx, sts, args); err != nil {
		rollback(tx)
		return err
	}
	return tx.Commit()
}

// Reports returns the reports of kind made at or after since, oldest first.
// With limit > 0 it returns the first limit of them, so a caller can page
// forward from the last At it saw; limit ≤ 0 means no limit.
func (s *Store) Reports(ctx context.Context, kind string, since time.Time, limit int) ([]Record, error) {
	s.flush(ctx)
	if limit <= 0 {
		limit = -1 // SQLite: a negative LIMIT means none
	}
	recs, err := s.queryReports(ctx,
		`SELECT at, kind, data FROM reports WHERE kind = ? AND at >= ? ORDER BY at, id LIMIT ?`,
		kind, toMS(since), limit)
	return recs, s.done(ctx, "read reports", false, err)
}

// LastReport returns the most recent report of kind, and false when there is
// none.
func (s *Store) LastReport(ctx context.Context, kind string) (Record, bool, error) {
	var (
		r  Record
		at int64
	)
	s.flush(ctx)
	err := s.db.QueryRowContext(ctx,
		`SELECT at, kind, data FROM reports WHERE kind = ? ORDER BY at DESC, id DESC LIMIT 1`, kind).
		Scan(&at, &r.Kind, &r.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, false, s.done(ctx, "read last report", false, nil)
	}
	if err != nil {
		return Record{}, false, s.done(ctx, "read last report", false, err)
	}
	r.At = fromMS(at)
	return r, true, s.done(ctx, "read last report", false, nil)
}

func (s *Store) queryReports(ctx context.Context, query string, args ...any) ([]Record, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var recs []Record
	for rows.Next() {
		var (
			r  Record
			at int64
		)
		if err := rows.Scan(&at, &r.Kind, &r.Data); err != nil {
			return nil, err
		}
		r.At = fromMS(at)
		recs = append(recs, r)
	}
	return recs, rows.Err()
}
