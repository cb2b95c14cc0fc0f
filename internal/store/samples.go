package store

import (
	"github.com/nexusmon/nexusmon/internal/storeapi"

	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
	"time"
)

// Sample is one value of a named series (storeapi.Sample).
type Sample = storeapi.Sample

// SaveSamples stores one value per series name, all at at, in one
// transaction. A series holds one value per millisecond: saving the same
// series at the same at again replaces the value. NaN and infinite values
// mean "no reading" and are skipped (SQLite cannot store them). With
// WithFlushInterval they are committed later (SaveReport).
func (s *Store) SaveSamples(ctx context.Context, at time.Time, values map[string]float64) error {
	if len(values) == 0 {
		return nil
	}
	if ok, err := s.buffer(ctx, "save samples", toMS(at), "", false, nil, values); ok {
		return err
	}
	return s.done(ctx, "save samples", true, s.saveSamples(ctx, toMS(at), values))
}

func (s *Store) saveSamples(ctx context.Context, at int64, values map[string]float64) error {
	if err := s.fault("save samples", FaultWrite); err != nil {
		return err
	}
	ctx, err := writeCtx(ctx)
	if err != nil {
		return err
	}
	args := sampleArgs(at, values)
	if len(args) == 0 {
		return nil
	}
	if len(args) <= 3*maxCachedSampleRows { // one statement: atomic by itself
		st, err := s.stmt(ctx, sampleInsertSQL(len(args)/3))
		if err != nil {
			return err
		}
		_, err = st.ExecContext(ctx, args...)
		return err
	}
	sts, err := s.sampleStmts(ctx, args)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := insertSamples(ctx, tx, sts, args); err != nil {
		rollback(tx)
		return err
	}
	return tx.Commit()
}

// sampleArgs returns the finite values of values as (series, at, value)
// argument triples.
func sampleArgs(at int64, values map[string]float64) []any {
	return appendSampleArgs(make([]any, 0, 3*len(values)), at, values)
}

// appendSampleArgs appends sampleArgs(at, values) to args.
func appendSampleArgs(args []any, at int64, values map[string]float64) []any {
	boxedAt := any(at) // boxed once, not once per row
	for series, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		args = append(args, series, boxedAt, v)
	}
	return args
}

// sampleStmts returns the prepared inserts for the rows of args, at most
// maxCachedSampleRows each. It must run before a transaction begins: the
// store's one connection is the transaction's until it ends, and
// preparing a new statement on the pool would wait for it forever.
func (s *Store) sampleStmts(ctx context.Context, args []any) ([]*sql.Stmt, error) {
	var sts []*sql.Stmt
	for rows := len(args) / 3; rows > 0; rows -= maxCachedSampleRows {
		st, err := s.stmt(ctx, sampleInsertSQL(min(rows, maxCachedSampleRows)))
		if err != nil {
			return nil, err
		}
		sts = append(sts, st)
	}
	return sts, nil
}

// insertSamples inserts the rows of args within tx with sts, the
// statements sampleStmts returned for args.
func insertSamples(ctx context.Context, tx *sql.Tx, sts []*sql.Stmt, args []any) error {
	for _, st := range sts {
		n := min(len(args)/3, maxCachedSampleRows)
		if _, err := tx.StmtContext(ctx, st).ExecContext(ctx, args[:3*n]...); err != nil {
			return err
		}
		args = args[3*n:]
	}
	return nil
}

// Samples returns the values of series at or after since, oldest first.
func (s *Store) Samples(ctx context.Context, series string, since time.Time) ([]Sample, error) {
	out, err := s.SamplesBetween(ctx, since, time.Time{}, series)
	return out[series], err
}

// SamplesBetween returns the values of every named series saved at or after
// from and, unless to is zero, at or before to, oldest first, by series (a
// series without values is absent). It is one read of the time range for
// all of them: samples are keyed by time first.
func (s *Store) SamplesBetween(ctx context.Context, from, to time.Time, series ...string) (map[string][]Sample, error) {
	s.flush(ctx)
	out, err := s.samplesBetween(ctx, toMS(from), toMS(to), series)
	return out, s.done(ctx, "read samples", false, err)
}

// maxCachedReadSeries bounds the history reads kept prepared: their text
// depends on the number of series only (the reports read 1 to 7).
const maxCachedReadSeries = 16

func (s *Store) samplesBetween(ctx context.Context, from, to int64, series []string) (map[string][]Sample, error) {
	if len(series) == 0 {
		return nil, nil
	}
	if to == 0 {
		to = math.MaxInt64
	}
	// Each row names its series by its index in series (CASE), not by its
	// text: a string per row was most of what a read allocated.
	var q strings.Builder
	q.WriteString(`SELECT at, CASE series`)
	args := make([]any, 0, 2+2*len(series))
	for i, name := range series {
		fmt.Fprintf(&q, ` WHEN ? THEN %d`, i)
		args = append(args, name)
	}
	q.WriteString(` END, value FROM samples WHERE at >= ? AND at <= ? AND series IN (?`)
	q.WriteString(strings.Repeat(`, ?`, len(series)-1))
	q.WriteString(`) ORDER BY at`)
	args = append(args, from, to)
	for _, name := range series {
		args = append(args, name)
	}
	var rows *sql.Rows
	var err error
	if len(series) <= maxCachedReadSeries { // one text per count: a bounded set
		rows, err = s.query(ctx, q.String(), args...)
	} else {
		rows, err = s.db.QueryContext(ctx, q.String(), args...)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string][]Sample, len(series))
	var ( // declared once: Scan's pointers make them escape
		at int64
		i  int
		v  float64
	)
	for rows.Next() {
		if err := rows.Scan(&at, &i, &v); err != nil {
			return nil, err
		}
		if i < 0 || i >= len(series) {
			return nil, fmt.Errorf("series index %d out of range", i)
		}
		out[series[i]] = append(out[series[i]], Sample{At: fromMS(at), Value: v})
	}
	return out, rows.Err()
}
