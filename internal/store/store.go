package store

import (
	"github.com/nexusmon/nexusmon/internal/storeapi"

	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Status describes the store's health (storeapi.Status).
type Status = storeapi.Status

// busyTimeout is how long a statement waits for a lock held by another
// connection (another process on the same file) before it fails.
const busyTimeout = 5 * time.Second

// journalSizeLimit bounds the WAL file left behind after a checkpoint, so one
// large burst does not keep a large -wal file on disk.
const journalSizeLimit = 4 << 20

// sizeRefresh is how often Status refreshes the cached file size.
const sizeRefresh = time.Second

// Store is an open nexusmon database.
//
// All methods are safe for concurrent use. The Store holds a single SQLite
// connection (database/sql with SetMaxOpenConns(1)): every statement and
// transaction is serialised in Go, so there is no SQLITE_BUSY between our own
// goroutines, per-connection settings hold for every statement, and nothing
// can interleave inside a transaction. nexusmon writes a few rows a second and
// reads little, so a separate read pool would buy nothing worth its
// complexity; the cost is that a long read (Reports with no limit over a long
// history) delays writes for its duration.
type Store struct {
	db     *sql.DB
	path   string
	log    *slog.Logger
	now    func() time.Time
	faults func(Fault) error // WithFaults; nil in production

	mu        sync.Mutex // guards st, failWrite, sizeAt
	st        Status
	failWrite bool      // the failure that cleared st.OK was a write
	sizeAt    time.Time // when st.SizeBytes was last refreshed

	stmtMu sync.Mutex // guards stmts
	stmts  map[string]*sql.Stmt

	wb writeBehind // WithFlushInterval

	closeOnce sync.Once
	closeErr  error
	lock      *fileLock // held from Open to Close
}

// Option configures Open.
type Option func(*options)

type options struct {
	log           *slog.Logger
	now           func() time.Time
	faults        func(Fault) error
	flushInterval time.Duration
}

// WithLogger sets the logger for failures and migrations. A nil logger
// discards output; the default discards output.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.log = l }
}

// WithClock sets the clock used for times the store fills in itself
// (Message.CreatedAt when zero, failure times, Status times). A nil clock
// means time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// Open opens the database at path, creating it and its parent directory
// (mode 0o750) when missing, and migrates it to the latest schema version.
//
// It returns an error wrapping ErrNewerSchema, without modifying the file,
// when the file was written by a newer nexusmon, and one wrapping ErrCorrupt
// when the file is not a SQLite database or is malformed.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if o.now == nil {
		o.now = time.Now
	}
	if path == "" {
		return nil, errors.New("open store: empty path")
	}
	if strings.ContainsRune(path, '?') {
		// The driver reads everything after '?' as connection parameters.
		return nil, fmt.Errorf("open store %s: path must not contain '?'", path)
	}
	// Every error names the operation and the file once; the caller adds
	// its own context (the agent adds the config key, "storage.path: ").
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("open store %s: create directory %s: %w", path, filepath.Dir(path), err)
	}
	// Create the file ourselves so it (and the -wal file, which SQLite
	// creates with the same mode) is not world-readable. An existing
	// file is left as it is.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, withoutPath(path, err))
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("open store %s: close: %w", path, withoutPath(path, err))
	}
	// One process per store: two agents on one file would both drain the
	// outbox and post every message twice.
	lock, err := lockFile(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}

	// Only per-connection settings go in the DSN: none of them writes to the
	// file, so a newer or foreign file can be inspected and refused untouched.
	// journal_mode=WAL, which does write, is set after the checks.
	dsn := path + "?" + strings.Join([]string{
		fmt.Sprintf("_busy_timeout=%d", busyTimeout.Milliseconds()),
		"_foreign_keys=0",
		"_synchronous=NORMAL",
		"_txlock=immediate", // write transactions wait on busy_timeout instead of failing on upgrade
		fmt.Sprintf("_pragma=journal_size_limit(%d)", journalSizeLimit),
		// The flock above already keeps every other nexusmon out, and the
		// store has one connection: holding SQLite's locks from the first
		// access to Close costs nothing and, set before the WAL is first
		// used, keeps the WAL index in this connection's memory: no -shm
		// file, and no fcntl lock calls per transaction (4 per report). The
		// price: nothing else (the sqlite3 shell) can read the file while
		// the store is open. In the DSN, so a connection database/sql opens
		// again gets it too.
		"_pragma=locking_mode(EXCLUSIVE)",
		// SQLite's page cache defaults to 2 MB, all of it in the agent's RSS;
		// the working set here (recent history and samples, the outbox head)
		// is far smaller, and the OS page cache holds the rest.
		// cache_size reads the schema, the file's first access, so it must
		// run after locking_mode: the driver runs the _pragma values sorted
		// by their text, and "main." sorts it after "locking_mode"
		// (TestOpen_RecoversWALLeftByACrash sees a -shm file otherwise).
		"_pragma=main.cache_size(-512)",
	}, "&")
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		lock.release()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)

	version, err := prepare(ctx, db, path, o.log)
	if err != nil {
		// Best effort: the open error is what the caller needs.
		_ = db.Close()
		lock.release()
		return nil, err
	}
	s := &Store{db: db, path: path, log: o.log, now: o.now, faults: o.faults, lock: lock}
	s.wb.interval, s.wb.pend = max(o.flushInterval, 0), &batch{}
	s.st = Status{Path: path, OK: true, SchemaVersion: version, Writable: true}
	s.st.SizeBytes = s.fileSize()
	s.sizeAt = s.now()
	return s, nil
}

// prepare checks that db is a nexusmon database this build can use, switches
// it to WAL and migrates it. It returns the schema version.
func prepare(ctx context.Context, db *sql.DB, path string, log *slog.Logger) (int, error) {
	var appID, version, tables int
	err := db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID)
	if err == nil {
		err = db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version)
	}
	if err == nil {
		err = db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&tables)
	}
	if err != nil {
		return 0, openError(path, err)
	}
	latest := latestVersion()
	switch {
	case version > latest:
		return 0, fmt.Errorf("open store %s: %w: its schema version is %d, this nexusmon knows versions up to %d; upgrade nexusmon or set storage.path to another file",
			path, ErrNewerSchema, version, latest)
	case appID != 0 && appID != applicationID,
		appID == 0 && version == 0 && tables > 0:
		return 0, fmt.Errorf("open store %s: not a nexusmon database (application_id %#x, %d schema objects); set storage.path to another file",
			path, appID, tables)
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		return 0, openError(path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		log.Warn("store: WAL journal mode unavailable, using another mode", "path", path, "journal_mode", mode)
	}
	// A quick_check reads every page once: it turns a truncated or garbled
	// file into ErrCorrupt here rather than into failures at random later.
	if err := quickCheck(ctx, db); err != nil {
		return 0, openError(path, err)
	}
	to, err := migrate(ctx, db, version, migrations)
	if err != nil {
		return 0, openError(path, err)
	}
	if to != version {
		log.Info("store: schema migrated", "path", path, "from", version, "to", to)
	}
	return to, nil
}

// quickCheck runs PRAGMA quick_check and turns a reported problem into an
// error wrapping ErrCorrupt.
func quickCheck(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, "PRAGMA quick_check(5)")
	if err != nil {
		return err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		if line != "ok" {
			// SQLite puts several problems in one row, a line each.
			problems = append(problems, strings.Join(strings.Fields(line), " "))
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: quick_check: %s", ErrCorrupt, strings.Join(problems, "; "))
	}
	return nil
}

// withoutPath returns the cause of err when err is an *fs.PathError about
// path, so that a message that names path already does not name it twice.
// errors.Is (fs.ErrNotExist, fs.ErrPermission, syscall.ENOSPC) sees the same
// cause either way.
func withoutPath(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		return pe.Err
	}
	return err
}

// openError wraps an error seen while opening path, adding ErrCorrupt and
// advice when SQLite says the file is not a database or is malformed.
func openError(path string, err error) error {
	if isCorrupt(err) || errors.Is(err, ErrCorrupt) {
		if !errors.Is(err, ErrCorrupt) {
			err = fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		return fmt.Errorf("open store %s: %w; move the file away (for example to %s.corrupt) and start again: nexusmon creates a new, empty one",
			path, err, path)
	}
	return fmt.Errorf("open store %s: %w", path, err)
}

// Close commits the history saved and not yet committed (WithFlushInterval)
// and closes the database. A failed commit of it, or one no save returned
// yet, is part of the error. Calling it again returns the first result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if err := s.closeBatches(); err != nil {
			errs = append(errs, err)
		}
		s.closeStmts()
		if err := s.db.Close(); err != nil {
			errs = append(errs, err)
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("close store %s: %w", s.path, err)
		}
		s.lock.release()
	})
	return s.closeErr
}

// Status returns the store's health. It runs no query: the fields are kept
// up to date by the other methods, and the file size is refreshed from the
// file system at most once a second.
func (s *Store) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if d := now.Sub(s.sizeAt); d >= sizeRefresh || d < 0 {
		s.st.SizeBytes = s.fileSize()
		s.sizeAt = now
	}
	return s.st
}

// Errors returns the number of failed operations, as Status does, without
// refreshing the file size (the self-metrics callback reads it at every
// collection, once a second when a report is).
func (s *Store) Errors() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Errors
}

// WriteStatus returns Status's Writable and WriteErrors without refreshing
// the file size (the store_write alert reads them after every report, once a
// second).
func (s *Store) WriteStatus() (writable bool, writeErrors int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Writable, s.st.WriteErrors
}

// fileSize returns the size of the database file plus its WAL, or the last
// known size when the file cannot be read.
func (s *Store) fileSize() int64 {
	fi, err := os.Stat(s.path)
	if err != nil {
		return s.st.SizeBytes
	}
	n := fi.Size()
	if wal, err := os.Stat(s.path + "-wal"); err == nil {
		n += wal.Size()
	}
	return n
}

// done records the outcome of one operation in Status and returns err wrapped
// with op. Failures are logged without the data involved. Cancellation by
// the caller and ErrNotFound are not store failures and are not counted.
// attrs are added to the failure's log line.
func (s *Store) done(ctx context.Context, op string, write bool, err error, attrs ...any) error {
	if err == nil {
		s.mu.Lock()
		if !s.st.OK && (write || !s.failWrite) {
			s.st.OK = true
		}
		if write {
			s.st.Writable = true
		}
		s.mu.Unlock()
		return nil
	}
	if ctx.Err() != nil || errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if isCorrupt(err) && !errors.Is(err, ErrCorrupt) {
		err = fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	err = fmt.Errorf("%s: %w", op, err)
	s.mu.Lock()
	s.st.OK = false
	s.failWrite = write
	s.st.Errors++
	s.st.LastError = err.Error()
	s.st.LastErrorAt = s.now().UTC()
	if write {
		s.st.Writable = false
		s.st.WriteErrors++
		s.st.WriteErrorClass = ErrorClass(err)
	}
	s.mu.Unlock()
	s.log.Error("store: operation failed", append([]any{"op", op, "write", write, "disk_full", IsDiskFull(err),
		"class", ErrorClass(err), "path", s.path, "err", err}, attrs...)...)
	return err
}

// rollback ends a transaction that did not commit. Its error is dropped on
// purpose: SQLite may already have rolled back (after SQLITE_FULL, for
// example), and the error the caller needs is the one that made us give up.
func rollback(tx *sql.Tx) {
	_ = tx.Rollback()
}

// toMS converts t to unix milliseconds; the zero time is stored as 0.
func toMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS converts unix milliseconds to a UTC time; 0 is the zero time.
func fromMS(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
