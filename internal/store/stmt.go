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
func (s *Store) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
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
