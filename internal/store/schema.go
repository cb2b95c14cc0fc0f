package store

import (
	"context"
	"database/sql"
	"fmt"
)

// applicationID marks the file as nexusmon's (PRAGMA application_id, "nxsm"),
// so Open refuses to add tables to another program's database.
const applicationID = 0x6e78736d

// A migration is one numbered schema step. Steps are applied in order, each in
// its own transaction together with the PRAGMA user_version that records it,
// so a failed step leaves the file at the previous version. Never edit a step
// that has shipped: add a new one.
type migration struct {
	version int
	stmts   []string
}

// migrations is the schema history. Versions are 1, 2, 3, … without gaps.
var migrations = []migration{
	{version: 1, stmts: []string{
		fmt.Sprintf("PRAGMA application_id = %d", applicationID),

		// History: every report's data. The at index serves Prune.
		`CREATE TABLE reports (
			id   INTEGER PRIMARY KEY,
			kind TEXT    NOT NULL,
			at   INTEGER NOT NULL,
			data BLOB    NOT NULL
		)`,
		`CREATE INDEX reports_kind_at ON reports (kind, at)`,
		`CREATE INDEX reports_at ON reports (at)`,

		// Samples: one value per series and millisecond.
		`CREATE TABLE samples (
			series TEXT    NOT NULL,
			at     INTEGER NOT NULL,
			value  REAL    NOT NULL,
			PRIMARY KEY (series, at)
		) WITHOUT ROWID`,

		// Outbox: AUTOINCREMENT so an id is never reused, and a stale id held
		// by a delivery loop can never acknowledge a newer message.
		`CREATE TABLE outbox (
			id           INTEGER PRIMARY KEY AUTOINCREMENT,
			dest         TEXT    NOT NULL,
			priority     INTEGER NOT NULL,
			kind         TEXT    NOT NULL,
			edit_key     TEXT    NOT NULL,
			body         BLOB    NOT NULL,
			created_at   INTEGER NOT NULL,
			attempts     INTEGER NOT NULL,
			next_attempt INTEGER NOT NULL,
			last_error   TEXT    NOT NULL
		)`,
		`CREATE INDEX outbox_dest_priority_id ON outbox (dest, priority, id)`,
		`CREATE INDEX outbox_dest_edit_key ON outbox (dest, edit_key) WHERE edit_key <> ''`,

		`CREATE TABLE outbox_failed (
			id           INTEGER PRIMARY KEY,
			dest         TEXT    NOT NULL,
			priority     INTEGER NOT NULL,
			kind         TEXT    NOT NULL,
			edit_key     TEXT    NOT NULL,
			body         BLOB    NOT NULL,
			created_at   INTEGER NOT NULL,
			attempts     INTEGER NOT NULL,
			next_attempt INTEGER NOT NULL,
			last_error   TEXT    NOT NULL,
			reason       TEXT    NOT NULL,
			failed_at    INTEGER NOT NULL
		)`,
		`CREATE INDEX outbox_failed_dest_failed_at ON outbox_failed (dest, failed_at)`,
		`CREATE INDEX outbox_failed_failed_at ON outbox_failed (failed_at)`,

		// Key-value state.
		`CREATE TABLE kv (
			ns         TEXT    NOT NULL,
			key        TEXT    NOT NULL,
			value      BLOB    NOT NULL,
			updated_at INTEGER NOT NULL,
			PRIMARY KEY (ns, key)
		) WITHOUT ROWID`,
	}},
	// Samples keyed (at, series): a report's samples are neighbours at the end
	// of the table, so saving them writes one or two pages instead of one page
	// per series (113 µs of CPU per save against 38 µs); Prune deletes a range
	// and history is read as one range of at for all the series a report needs
	// (SamplesBetween). The rows are copied in key order, once: about 2 s per
	// million rows (a week of 1 s system reports holds 4.2 million).
	{version: 2, stmts: []string{
		`CREATE TABLE samples_v2 (
			at     INTEGER NOT NULL,
			series TEXT    NOT NULL,
			value  REAL    NOT NULL,
			PRIMARY KEY (at, series)
		) WITHOUT ROWID`,
		`INSERT INTO samples_v2 (at, series, value) SELECT at, series, value FROM samples ORDER BY at, series`,
		`DROP TABLE samples`,
		`ALTER TABLE samples_v2 RENAME TO samples`,
	}},
}

// latestVersion is the highest schema version this build knows.
func latestVersion() int {
	return migrations[len(migrations)-1].version
}

// migrate applies every step of steps above version from, in order, and
// returns the version reached. On error the file stays at the last version
// whose step committed.
func migrate(ctx context.Context, db *sql.DB, from int, steps []migration) (int, error) {
	version := from
	for _, m := range steps {
		if m.version <= version {
			continue
		}
		if m.version != version+1 {
			return version, fmt.Errorf("migrate: no step from version %d to %d", version, version+1)
		}
		if err := applyStep(ctx, db, m); err != nil {
			return version, fmt.Errorf("migrate to version %d: %w", m.version, err)
		}
		version = m.version
	}
	return version, nil
}

// applyStep runs one migration and records its version in one transaction.
func applyStep(ctx context.Context, db *sql.DB, m migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, stmt := range m.stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			rollback(tx)
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
		rollback(tx)
		return err
	}
	return tx.Commit()
}
