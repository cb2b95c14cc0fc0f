package store

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	sqlite3 "modernc.org/sqlite/lib"
)

// exists reports whether path exists.
func exists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Stat(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

// readOther reads the reports table of path on a connection of its own,
// as the sqlite3 shell would, waiting at most 50 ms for a lock.
func readOther(t *testing.T, path string) (int, error) {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_busy_timeout=50")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close() // best effort: a read-only connection
	var n int
	err = db.QueryRow("SELECT count(*) FROM reports").Scan(&n)
	return n, err
}

// The store's one connection holds the file exclusively (locking_mode
// EXCLUSIVE): the WAL index lives in its memory, so there is no -shm file
// and no lock call per transaction, and no other connection can read the
// file while the store is open.
func TestOpen_ExclusiveLocking(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nexusmon.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close() // best effort: closed below
	if err := s.SaveReportAndSamples(ctx, t0, "sys", []byte(`{}`), map[string]float64{"cpu_percent": 1}); err != nil {
		t.Fatal(err)
	}
	var mode string
	if err := s.db.QueryRow("PRAGMA locking_mode").Scan(&mode); err != nil || mode != "exclusive" {
		t.Errorf("locking_mode = %q, %v; want exclusive", mode, err)
	}
	if v := pragmaInt(t, s.db, "cache_size"); v != -512 {
		t.Errorf("cache_size = %d, want -512", v)
	}
	if exists(t, path+"-shm") {
		t.Error("a -shm file exists while the store is open")
	}
	if !exists(t, path+"-wal") {
		t.Error("no -wal file while the store is open")
	}
	if _, err := readOther(t, path); sqliteCode(err) != sqlite3.SQLITE_BUSY {
		t.Errorf("a read on another connection while the store is open = %v, want SQLITE_BUSY", err)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if exists(t, path+"-wal") || exists(t, path+"-shm") {
		t.Error("a -wal or -shm file is left after Close")
	}
	if n, err := readOther(t, path); err != nil || n != 1 {
		t.Errorf("a read after Close = %d, %v; want 1 report", n, err)
	}
}

// database/sql may replace the connection; the new one must be exclusive
// too (the DSN sets the pragma on every connection).
func TestOpen_ExclusiveLockingOnNewConnection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	s.db.SetMaxIdleConns(0) // every statement on a new connection
	if err := s.SaveReport(ctx, t0, "sys", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close() // best effort: a read
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA locking_mode").Scan(&mode); err != nil || mode != "exclusive" {
		t.Errorf("locking_mode on a new connection = %q, %v; want exclusive", mode, err)
	}
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM reports").Scan(new(int)); err != nil {
		t.Fatal(err)
	}
	if exists(t, s.path+"-shm") {
		t.Error("a -shm file exists after a new connection read the file")
	}
}

// copyFiles copies the database file and whichever of its -wal and -shm
// files exist from dir to a new directory, as a crash would leave them, and
// returns the new database path.
func copyFiles(t *testing.T, path string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), filepath.Base(path))
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(path + suffix)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// A process killed while writing leaves the database with its WAL (and
// nothing else: no -shm). The next Open recovers every committed
// transaction from the WAL.
func TestOpen_RecoversWALLeftByACrash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	const reports = 50
	for i := range reports {
		at := t0.Add(time.Duration(i) * time.Second)
		if err := s.SaveReportAndSamples(ctx, at, "sys", []byte(`{"i":1}`), map[string]float64{"cpu_percent": float64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Put(ctx, "alerts", "cpu", []byte("firing")); err != nil {
		t.Fatal(err)
	}
	crashed := copyFiles(t, s.path) // the files as kill -9 would leave them
	if fi, err := os.Stat(crashed + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("no WAL to recover from: %v", err)
	}

	r, err := Open(ctx, crashed)
	if err != nil {
		t.Fatalf("Open after a crash: %v", err)
	}
	// The file is in WAL mode before the connection first reads it: the
	// exclusive locking mode must be set before that read too.
	if exists(t, crashed+"-shm") {
		t.Error("a -shm file exists after Open of a file in WAL mode")
	}
	if recs, err := r.Reports(ctx, "sys", time.Time{}, 0); err != nil || len(recs) != reports {
		t.Errorf("Reports after a crash = %d, %v; want %d", len(recs), err, reports)
	}
	if smp, err := r.Samples(ctx, "cpu_percent", time.Time{}); err != nil || len(smp) != reports || smp[reports-1].Value != reports-1 {
		t.Errorf("Samples after a crash = %d, %v; want %d", len(smp), err, reports)
	}
	if v, ok, err := r.Get(ctx, "alerts", "cpu"); err != nil || !ok || string(v) != "firing" {
		t.Errorf("Get after a crash = %q, %v, %v", v, ok, err)
	}
	writesAfterRecovery(t, r, crashed, reports)
}

// A file left with a WAL and a -shm file by a connection in the default
// (shared-memory) locking mode, as a nexusmon before exclusive locking
// leaves it when killed, opens with every committed row.
func TestOpen_RecoversWALLeftBySharedMemoryMode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nexusmon.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path) // journal_mode WAL is recorded in the file
	for i := range 20 {
		if _, err := db.Exec(`INSERT INTO reports (kind, at, data) VALUES ('sys', ?, x'7b7d')`, toMS(t0)+int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	crashed := copyFiles(t, path)
	if !exists(t, crashed+"-shm") || !exists(t, crashed+"-wal") {
		t.Fatal("the shared-memory connection left no -wal and -shm files")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	r, err := Open(ctx, crashed)
	if err != nil {
		t.Fatalf("Open of a file left by shared-memory mode: %v", err)
	}
	if recs, err := r.Reports(ctx, "sys", time.Time{}, 0); err != nil || len(recs) != 20 {
		t.Errorf("Reports = %d, %v; want 20", len(recs), err)
	}
	writesAfterRecovery(t, r, crashed, 20)
}

// writesAfterRecovery checks that r, opened on the recovered file path
// holding reports reports, saves one more, and that Close leaves no WAL
// and every report readable by another connection.
func writesAfterRecovery(t *testing.T, r *Store, path string, reports int) {
	t.Helper()
	if err := r.SaveReport(context.Background(), t0.Add(time.Hour), "sys", []byte(`{}`)); err != nil {
		t.Errorf("SaveReport after recovery: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if exists(t, path+"-wal") {
		t.Error("the WAL is left after Close")
	}
	if n, err := readOther(t, path); err != nil || n != reports+1 {
		t.Errorf("reports after Close = %d, %v; want %d", n, err, reports+1)
	}
}
