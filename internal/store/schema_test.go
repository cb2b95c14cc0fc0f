package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rawDB opens path with the driver directly, for tests that prepare or inspect
// a file behind the store's back.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() {
		// Best effort: most tests close it themselves first.
		_ = db.Close()
	})
	return db
}

func pragmaInt(t *testing.T, db *sql.DB, name string) int {
	t.Helper()
	var v int
	if err := db.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

// filesOf returns the contents of every file in dir, by name.
func filesOf(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string][]byte)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func sameFiles(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for name, content := range a {
		if other, ok := b[name]; !ok || !bytes.Equal(content, other) {
			return false
		}
	}
	return true
}

func TestMigrations_AreNumberedWithoutGaps(t *testing.T) {
	t.Parallel()
	for i, m := range migrations {
		if m.version != i+1 {
			t.Errorf("migrations[%d].version = %d, want %d", i, m.version, i+1)
		}
		if len(m.stmts) == 0 {
			t.Errorf("migration %d has no statements", m.version)
		}
	}
}

func TestOpen_FreshDatabase(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data", "sub")
	path := filepath.Join(dir, "nexusmon.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()

	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&^0o750 != 0 {
		t.Errorf("directory mode = %v, want at most 0750", perm)
	}
	fi, err = os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o007 != 0 {
		t.Errorf("database file mode = %v, want no access for others", perm)
	}

	st := s.Status()
	if st.SchemaVersion != latestVersion() || !st.OK || st.Path != path || st.SizeBytes <= 0 || st.Errors != 0 {
		t.Errorf("Status = %+v, want version %d, OK, path %s, a size, no errors", st, latestVersion(), path)
	}
	if v := pragmaInt(t, s.db, "user_version"); v != latestVersion() {
		t.Errorf("user_version = %d, want %d", v, latestVersion())
	}
	if v := pragmaInt(t, s.db, "application_id"); v != applicationID {
		t.Errorf("application_id = %#x, want %#x", v, applicationID)
	}
	var mode string
	if err := s.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	if v := pragmaInt(t, s.db, "synchronous"); v != 1 {
		t.Errorf("synchronous = %d, want 1 (NORMAL)", v)
	}
	if v := pragmaInt(t, s.db, "foreign_keys"); v != 0 {
		t.Errorf("foreign_keys = %d, want 0", v)
	}
	if v := pragmaInt(t, s.db, "busy_timeout"); v != int(busyTimeout.Milliseconds()) {
		t.Errorf("busy_timeout = %d, want %d", v, busyTimeout.Milliseconds())
	}
}

func TestOpen_BadPath(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{
		"empty":          "",
		"question mark":  filepath.Join(t.TempDir(), "a?b.db"),
		"parent is file": filepath.Join(file, "nexusmon.db"),
		"path is a dir":  t.TempDir(),
	} {
		t.Run(name, func(t *testing.T) {
			s, err := Open(context.Background(), path)
			if err == nil {
				// Best effort: the test has already failed.
				_ = s.Close()
				t.Fatal("Open succeeded")
			}
			// The caller adds its own context (the agent: "storage.path: "),
			// so the text says "open store" once and names the file.
			msg := err.Error()
			if want := "open store " + path + ": "; path != "" && !strings.HasPrefix(msg, want) {
				t.Errorf("error %q does not start with %q", msg, want)
			}
			if n := strings.Count(msg, "open store"); n != 1 {
				t.Errorf("error %q says \"open store\" %d times", msg, n)
			}
			if path != "" && strings.Count(msg, path) > 1 {
				t.Errorf("error %q names the file more than once", msg)
			}
		})
	}
}

func TestOpen_Reopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nexusmon.db")
	s, err := Open(ctx, path, WithClock(fixedClock(t0)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveReport(ctx, t0, "sys", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSamples(ctx, t0, map[string]float64{"cpu_percent": 12.5}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "alerts", "cpu", []byte("firing")); err != nil {
		t.Fatal(err)
	}
	ids := enqueueAll(t, s,
		Message{Dest: "bot", Priority: 1, Kind: "r", EditKey: "sys", Body: []byte("edit")},
		Message{Dest: "bot", Priority: 0, Kind: "a", Body: []byte("alert")},
		Message{Dest: "bot", Priority: 1, Kind: "dead", Body: []byte("dead")},
	)
	if err := s.Retry(ctx, ids[0], 2, t0.Add(time.Minute), "status 500"); err != nil {
		t.Fatal(err)
	}
	if err := s.Fail(ctx, ids[2], "bad_request"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	if recs, err := s.Reports(ctx, "sys", time.Time{}, 0); err != nil || len(recs) != 1 || string(recs[0].Data) != `{"a":1}` {
		t.Errorf("Reports after restart = %+v, %v", recs, err)
	}
	if smp, err := s.Samples(ctx, "cpu_percent", time.Time{}); err != nil || len(smp) != 1 || smp[0].Value != 12.5 {
		t.Errorf("Samples after restart = %+v, %v", smp, err)
	}
	if v, ok, err := s.Get(ctx, "alerts", "cpu"); err != nil || !ok || string(v) != "firing" {
		t.Errorf("Get after restart = %q, %v, %v", v, ok, err)
	}
	if n, err := s.Depth(ctx, "bot"); err != nil || n != 2 {
		t.Errorf("Depth after restart = %d, %v; want 2", n, err)
	}
	m, ok, err := s.Head(ctx, "bot")
	if err != nil || !ok || m.ID != ids[1] || string(m.Body) != "alert" {
		t.Errorf("Head after restart = %+v, %v, %v; want the alert", m, ok, err)
	}
	if err := s.Ack(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	m, ok, err = s.Head(ctx, "bot")
	if err != nil || !ok || m.ID != ids[0] || m.Attempts != 2 || m.LastError != "status 500" || !m.NextAttempt.Equal(t0.Add(time.Minute)) {
		t.Errorf("Head after restart = %+v, %v, %v; want the retried edit", m, ok, err)
	}
	if f, err := s.Failed(ctx, "bot", 0); err != nil || len(f) != 1 || f[0].ID != ids[2] || f[0].Reason != "bad_request" {
		t.Errorf("Failed after restart = %+v, %v", f, err)
	}
	if st := s.Status(); st.SchemaVersion != latestVersion() {
		t.Errorf("SchemaVersion after restart = %d", st.SchemaVersion)
	}
}

func TestMigrate_StepIsAtomic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := rawDB(t, filepath.Join(t.TempDir(), "m.db"))
	steps := []migration{
		{version: 1, stmts: []string{`CREATE TABLE a (x)`}},
		{version: 2, stmts: []string{`CREATE TABLE b (x)`, `THIS IS NOT SQL`}},
		{version: 3, stmts: []string{`CREATE TABLE c (x)`}},
	}
	got, err := migrate(ctx, db, 0, steps)
	if err == nil || !strings.Contains(err.Error(), "version 2") {
		t.Errorf("migrate error = %v, want one naming version 2", err)
	}
	if got != 1 {
		t.Errorf("migrate reached version %d, want 1", got)
	}
	if v := pragmaInt(t, db, "user_version"); v != 1 {
		t.Errorf("user_version = %d, want 1", v)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name IN ('a', 'b', 'c')`).Scan(&n); err != nil || n != 1 {
		t.Errorf("tables after failed step = %d, %v; want only a", n, err)
	}

	// Fixed, the remaining steps apply from where it stopped.
	steps[1].stmts = steps[1].stmts[:1]
	if got, err := migrate(ctx, db, 1, steps); err != nil || got != 3 {
		t.Errorf("migrate from 1 = %d, %v; want 3", got, err)
	}
	if got, err := migrate(ctx, db, 3, steps); err != nil || got != 3 {
		t.Errorf("migrate at the latest version = %d, %v; want 3, nil", got, err)
	}
	if _, err := migrate(ctx, db, 0, []migration{{version: 2, stmts: []string{`SELECT 1`}}}); err == nil {
		t.Error("migrate over a gap succeeded")
	}
}

func TestOpen_NewerSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "nexusmon.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveReport(ctx, t0, "sys", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	newer := latestVersion() + 1
	db := rawDB(t, path)
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", newer)); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before := filesOf(t, dir)

	s, err = Open(ctx, path)
	if err == nil {
		// Best effort: the test has already failed.
		_ = s.Close()
		t.Fatal("Open of a newer schema succeeded")
	}
	if !errors.Is(err, ErrNewerSchema) {
		t.Errorf("error = %v, want ErrNewerSchema", err)
	}
	msg := err.Error()
	for _, want := range []string{path, fmt.Sprint(newer), fmt.Sprint(latestVersion())} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
	if after := filesOf(t, dir); !sameFiles(before, after) {
		t.Error("Open modified a file written by a newer nexusmon")
	}
}

func TestOpen_ForeignDatabase(t *testing.T) {
	t.Parallel()
	tests := map[string][]string{
		"tables, no version": {`CREATE TABLE notes (x)`},
		"other application":  {`PRAGMA application_id = 42`},
	}
	for name, stmts := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "other.db")
			db := rawDB(t, path)
			for _, q := range stmts {
				if _, err := db.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			before := filesOf(t, dir)
			s, err := Open(context.Background(), path)
			if err == nil {
				// Best effort: the test has already failed.
				_ = s.Close()
				t.Fatal("Open of another program's database succeeded")
			}
			if !strings.Contains(err.Error(), "not a nexusmon database") || errors.Is(err, ErrCorrupt) {
				t.Errorf("error = %v", err)
			}
			if after := filesOf(t, dir); !sameFiles(before, after) {
				t.Error("Open modified another program's database")
			}
		})
	}
}

// corruptions turn a good database file into a bad one.
var corruptions = map[string]func(t *testing.T, path string){
	"random bytes": func(t *testing.T, path string) {
		b := make([]byte, 16<<10)
		r := rand.New(rand.NewPCG(1, 2))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		writeFile(t, path, b)
	},
	"short garbage": func(t *testing.T, path string) {
		writeFile(t, path, []byte("not a database at all"))
	},
	"truncated": func(t *testing.T, path string) {
		b := readFile(t, path)
		writeFile(t, path, b[:len(b)/2])
	},
	"garbled pages": func(t *testing.T, path string) {
		b := readFile(t, path)
		// Keep the header page, scribble over the rest.
		r := rand.New(rand.NewPCG(3, 4))
		for i := 4096; i < len(b); i++ {
			b[i] = byte(r.Uint32())
		}
		writeFile(t, path, b)
	},
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestOpen_Corrupt(t *testing.T) {
	t.Parallel()
	for name, corrupt := range corruptions {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "nexusmon.db")
			// A real database with some pages to damage.
			s, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 200 {
				data := bytes.Repeat([]byte{byte(i)}, 500)
				if err := s.SaveReport(ctx, t0.Add(time.Duration(i)*time.Second), "sys", data); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			corrupt(t, path)

			s, err = Open(ctx, path)
			if err == nil {
				// Best effort: the test has already failed.
				_ = s.Close()
				t.Fatal("Open of a damaged file succeeded")
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("error = %v, want ErrCorrupt", err)
			}
			if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "move the file away") {
				t.Errorf("error %q does not name the path and the remedy", msg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans several lines", err)
			}
		})
	}
}
