package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestIsDiskFull(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		err  error
		want bool
	}{
		"nil":            {nil, false},
		"ENOSPC":         {syscall.ENOSPC, true},
		"wrapped ENOSPC": {fmt.Errorf("write: %w", &fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}), true},
		"other errno":    {syscall.EIO, false},
		"plain error":    {errors.New("database or disk is full"), false},
		"not found":      {ErrNotFound, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := IsDiskFull(tt.err); got != tt.want {
				t.Errorf("IsDiskFull(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// TestStore_DiskFull fills the database up to PRAGMA max_page_count (set on the
// store's one connection), which makes SQLite fail writes with SQLITE_FULL just
// as a full disk does.
func TestStore_DiskFull(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var logs logBuffer
	s := openTest(t, WithLogger(logs.logger()), WithClock(fixedClock(t0)))

	if err := s.SaveReport(ctx, t0, "sys", []byte("before")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Enqueue(ctx, Message{Dest: "bot", Priority: 0, Kind: "alert", Body: []byte("queued")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, "PRAGMA max_page_count = "+fmt.Sprint(pragmaInt(t, s.db, "page_count"))); err != nil {
		t.Fatal(err)
	}

	marker := []byte("DATA-MUST-NOT-BE-LOGGED")
	big := bytes.Repeat(marker, 1000)
	var err error
	for i := 0; i < 50 && err == nil; i++ {
		err = s.SaveReport(ctx, t0.Add(time.Duration(i+1)*time.Second), "sys", big)
	}
	if !IsDiskFull(err) {
		t.Fatalf("SaveReport on a full database = %v, want a disk-full error", err)
	}
	_, _, err = s.Enqueue(ctx, Message{Dest: "bot", Priority: 1, Kind: "report", Body: big})
	if !IsDiskFull(err) {
		t.Fatalf("Enqueue on a full database = %v, want a disk-full error", err)
	}
	st := s.Status()
	if st.OK || st.Errors != 2 || !strings.Contains(st.LastError, "enqueue message") || !st.LastErrorAt.Equal(t0) ||
		st.Writable || st.WriteErrors != 2 || st.WriteErrorClass != ClassDiskFull {
		t.Errorf("Status after two failed writes = %+v", st)
	}
	if n := s.Errors(); n != 2 {
		t.Errorf("Errors after two failed writes = %d, want 2", n)
	}
	if w, n := s.WriteStatus(); w || n != 2 {
		t.Errorf("WriteStatus after two failed writes = %v, %d; want false, 2", w, n)
	}
	out := logs.String()
	if !strings.Contains(out, "save report") || !strings.Contains(out, "disk_full=true") {
		t.Errorf("failure not logged with its operation and disk_full: %s", out)
	}
	if strings.Contains(out, string(marker)) {
		t.Error("the log contains the data of the failed write")
	}

	// Reads go on; a successful read does not hide the failing writes.
	if recs, err := s.Reports(ctx, "sys", time.Time{}, 0); err != nil || len(recs) == 0 || string(recs[0].Data) != "before" {
		t.Errorf("Reports on a full database = %d records, %v", len(recs), err)
	}
	if m, ok, err := s.Head(ctx, "bot"); err != nil || !ok || string(m.Body) != "queued" {
		t.Errorf("Head on a full database = %+v, %v, %v", m, ok, err)
	}
	if s.Status().OK {
		t.Error("Status OK after a read while writes fail")
	}

	// Space again: writes work and the store reports healthy.
	if _, err := s.db.ExecContext(ctx, "PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveReport(ctx, t0.Add(time.Hour), "sys", big); err != nil {
		t.Fatalf("SaveReport after space was freed: %v", err)
	}
	if _, _, err := s.Enqueue(ctx, Message{Dest: "bot", Priority: 1, Kind: "report", Body: big}); err != nil {
		t.Fatalf("Enqueue after space was freed: %v", err)
	}
	if st := s.Status(); !st.OK || !st.Writable || st.Errors != 2 {
		t.Errorf("Status after recovery = %+v, want OK and writable with the 2 past errors", st)
	}
	if w, n := s.WriteStatus(); !w || n != 2 {
		t.Errorf("WriteStatus after recovery = %v, %d; want true, 2", w, n)
	}
	if d, err := s.Depth(ctx, "bot"); err != nil || d != 2 {
		t.Errorf("Depth after recovery = %d, %v; want 2", d, err)
	}
}

func TestStore_StatusIgnoresCancellation(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.SaveReport(ctx, t0, "sys", []byte("x")); err == nil {
		t.Fatal("SaveReport with a cancelled context succeeded")
	}
	if _, err := s.Depth(ctx, "bot"); err == nil {
		t.Fatal("Depth with a cancelled context succeeded")
	}
	if st := s.Status(); !st.OK || st.Errors != 0 {
		t.Errorf("Status = %+v; a caller's cancellation is not a store failure", st)
	}
}

func TestStore_StatusSize(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var (
		mu  sync.Mutex
		now = t0
	)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	s := openTest(t, WithClock(clock))
	before := s.Status().SizeBytes
	if before <= 0 {
		t.Fatalf("SizeBytes = %d after Open", before)
	}
	for i := range 20 {
		if err := s.SaveReport(ctx, t0.Add(time.Duration(i)*time.Second), "sys", bytes.Repeat([]byte("x"), 8<<10)); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Status().SizeBytes; got != before {
		t.Errorf("SizeBytes = %d within a second, want the cached %d", got, before)
	}
	mu.Lock()
	now = now.Add(sizeRefresh)
	mu.Unlock()
	if got := s.Status().SizeBytes; got < before+20*(8<<10) {
		t.Errorf("SizeBytes = %d after 160 KiB of reports, was %d", got, before)
	}
}
