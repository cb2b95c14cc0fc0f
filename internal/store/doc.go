// Package store is nexusmon's embedded SQLite store: the history of every
// report's data, named numeric sample series for trends and charts, the durable
// outbox of rendered Discord messages, and namespaced key-value state (alert
// state, live message ids, delivery cursors).
//
// It owns the database file and its schema, and nothing else: it does not
// render, send, schedule or decide retention; callers pass times and limits in.
// It must never hold secrets (bot token, webhook URL): nothing it stores, logs
// or returns in an error contains one, as long as callers do not put one in a
// message body.
//
// The file is opened with modernc.org/sqlite (pure Go) in WAL mode with
// synchronous=NORMAL, a busy timeout, foreign keys off and exclusive locking
// (PRAGMA locking_mode=EXCLUSIVE): the store's one connection holds SQLite's
// lock on the file from Open to Close and keeps the WAL index in its own
// memory, so there is no -shm file and no lock call per transaction, and no
// other connection (the sqlite3 shell) can read the file while the store is
// open. Close checkpoints the WAL into the database file and removes the
// -wal file; after a crash, the next Open recovers every committed
// transaction from it. Schema changes are
// numbered migrations recorded in PRAGMA user_version, each applied in one
// transaction. A file written by a newer nexusmon is refused with
// [ErrNewerSchema] and left untouched; a file that is not a SQLite database, or
// is malformed, is refused with [ErrCorrupt].
//
// Open also runs PRAGMA quick_check (about 80 ms for a 100 MB file), so a
// truncated or garbled file is refused at start rather than failing at random
// later.
//
// Every failed operation is logged (operation and error, never the data),
// counted in [Store.Status] and returned: the caller decides whether to go on.
// Collection must go on when the disk is full ([IsDiskFull]); reads keep
// working and writes succeed again once there is space.
//
// History can be written behind ([WithFlushInterval]): reports and samples
// wait in memory and are committed together, one transaction per interval
// instead of one per report; every read of history, [Store.Prune] and
// [Store.Close] commit what waits first. A crash loses at most the
// interval's history; a failed commit is counted and logged as a failed
// write and returned by the next save. The outbox and key-value state are
// always committed before their calls return.
//
// Timestamps are stored as integer unix milliseconds (UTC) and returned in UTC
// with millisecond precision.
package store
