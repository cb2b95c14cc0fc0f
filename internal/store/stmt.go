package store

import (
	"context"
	"database/sql"
	"strings"
)

// Prepared statements for the writes made on every report. Each exec of
// an SQL string makes SQLite parse and plan it again; a statement prepared
// once on the single connection is only bound and stepped. database/sql
// prepares it again by itself should the connection ever be replaced.

// maxCachedSampleRows bounds the sample inserts kept prepared (one per row
// count); a larger batch is split.
const maxCachedSampleRows = 64

// stmt returns the prepared statement of query, preparing it on first use.
// The lock is not held while preparing: that waits for the connection,
// which a transaction of another goroutine may hold while it looks up its
// statements (txExec).
func (s *Store) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s.stmtMu.Lock()
	st, ok := s.stmts[query]
	s.stmtMu.Unlock()
	if ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if prev, ok := s.stmts[query]; ok { // prepared meanwhile by another goroutine
		_ = st.Close() // never used; nothing is lost
		return prev, nil
	}
	if s.stmts == nil {
		s.stmts = map[string]*sql.Stmt{}
	}
	s.stmts[query] = st
	return st, nil
}

// closeStmts closes the prepared statements (Close).
func (s *Store) closeStmts() {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	for _, st := range s.stmts {
		_ = st.Close() // the connection closes next; nothing is lost
	}
	s.stmts = nil
}

// sampleInsertSQL returns one INSERT of n sample rows.
func sampleInsertSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT OR REPLACE INTO samples (series, at, value) VALUES (?, ?, ?)`)
	for range n - 1 {
		b.WriteString(`, (?, ?, ?)`)
	}
	return b.String()
}

// Every statement the agent runs while it works (the report's writes, the
// alert state, the outbox, the history reads) goes through the cache: it is
// parsed and planned once, on its first use, and SQLite's parser and code
// generator stay out of the daemon's steady state (their code pages too: the
// agent drops its executable pages after start-up, and a statement prepared
// again touches them anew).

// exec runs query outside a transaction through its prepared statement.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// queryRow runs query through its prepared statement. A statement that
// cannot be prepared is run unprepared, so that its Scan reports the error.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return s.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// query runs query through its prepared statement.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// prepare prepares queries (for a transaction about to begin: see
// sampleStmts) and returns their statements in order.
func (s *Store) prepare(ctx context.Context, queries ...string) ([]*sql.Stmt, error) {
	sts := make([]*sql.Stmt, len(queries))
	for i, q := range queries {
		st, err := s.stmt(ctx, q)
		if err != nil {
			return nil, err
		}
		sts[i] = st
	}
	return sts, nil
}

// writeCtx is the context of one of the store's writes: ctx's values without
// its cancellation. A write (a report with its samples, a state change, an
// outbox step) takes milliseconds and commits or rolls back whole; SQLite
// could only interrupt it between steps, never inside a blocked write(2).
// A cancellable context costs a goroutine per statement (the driver's
// interrupt watcher), five for a report and its samples. A context already
// done when the write would begin still stops it (ctx.Err()).
func writeCtx(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return ctx, err
	}
	return context.WithoutCancel(ctx), nil
}

// execWrite is exec for a write (writeCtx).
func (s *Store) execWrite(ctx context.Context, query string, args ...any) (sql.Result, error) {
	wctx, err := writeCtx(ctx)
	if err != nil {
		return nil, err
	}
	return s.exec(wctx, query, args...)
}

// txExec runs query within tx through its prepared statement, which must
// be prepared already (s.prepare before the transaction began): preparing on
// the pool would wait for the connection tx holds.
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	s.stmtMu.Lock()
	st := s.stmts[query]
	s.stmtMu.Unlock()
	if st == nil {
		return tx.ExecContext(ctx, query, args...)
	}
	return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}
