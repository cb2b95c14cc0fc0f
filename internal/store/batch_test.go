package store

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// flushes records the commits of a store's batches (the afterFlush hook).
type flushes struct {
	mu    sync.Mutex
	saves []int // saves per commit, in commit order
	errs  []error
}

func (f *flushes) hook(saves int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.saves = append(f.saves, saves)
	f.errs = append(f.errs, err)
}

func (f *flushes) get() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.saves...)
}

// openBatched opens a store with write-behind whose timer does not fire
// during a test, and records its commits.
func openBatched(t *testing.T, opts ...Option) (*Store, *flushes) {
	t.Helper()
	s := openTest(t, append([]Option{WithFlushInterval(time.Hour)}, opts...)...)
	f := &flushes{}
	s.wb.afterFlush = f.hook
	return s, f
}

// committed counts the rows of table in the file, without committing the
// pending batch first (what the store's reads do).
func committed(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// With a flush interval a save is not committed when it returns; without
// one it is.
func TestStore_flushIntervalZeroCommitsBeforeReturn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range []struct {
		interval time.Duration
		want     int
	}{{0, 1}, {time.Hour, 0}} {
		s := openTest(t, WithFlushInterval(tt.interval))
		if err := s.SaveReportAndSamples(ctx, t0, "sys", []byte("x"), map[string]float64{"cpu": 1}); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveSamples(ctx, t0.Add(time.Second), map[string]float64{"cpu": 2}); err != nil {
			t.Fatal(err)
		}
		if got := committed(t, s, "reports"); got != tt.want {
			t.Errorf("interval %s: %d reports in the file after SaveReportAndSamples returned, want %d", tt.interval, got, tt.want)
		}
		if got := committed(t, s, "samples"); got != 2*tt.want {
			t.Errorf("interval %s: %d samples in the file after the saves returned, want %d", tt.interval, got, 2*tt.want)
		}
	}
}

// Every read of history commits the pending batch first, in one
// transaction, in save order; the store keeps a copy of the data.
func TestStore_batchReadYourWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, f := openBatched(t)

	buf := []byte(`{"n":1}`)
	if err := s.SaveReportAndSamples(ctx, t0, "sys", buf, map[string]float64{"cpu": 10, "mem": 50}); err != nil {
		t.Fatal(err)
	}
	copy(buf, `{"n":2}`) // the caller reuses its buffer
	if err := s.SaveReport(ctx, t0, "sys", buf); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveReport(ctx, t0.Add(time.Second), "net", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSamples(ctx, t0, map[string]float64{"cpu": 11}); err != nil { // replaces the first
		t.Fatal(err)
	}
	if got := f.get(); len(got) != 0 {
		t.Fatalf("commits before any read: %v, want none", got)
	}

	recs, err := s.Reports(ctx, "sys", time.Time{}, 0)
	if err != nil || len(recs) != 2 || string(recs[0].Data) != `{"n":1}` || string(recs[1].Data) != `{"n":2}` {
		t.Fatalf("Reports = %v, %v; want both reports in save order", recs, err)
	}
	if got := f.get(); len(got) != 1 || got[0] != 4 {
		t.Errorf("commits = %v, want one of 4 saves", got)
	}
	last, ok, err := s.LastReport(ctx, "net")
	if err != nil || !ok || len(last.Data) != 0 {
		t.Errorf("LastReport(net) = %+v, %v, %v; want an empty report", last, ok, err)
	}
	var typ string
	if err := s.db.QueryRow(`SELECT typeof(data) FROM reports WHERE kind = 'net'`).Scan(&typ); err != nil || typ != "blob" {
		t.Errorf("an empty report is stored as %s (%v), want an empty blob as SaveReport without a flush interval", typ, err)
	}
	if err := s.SaveSamples(ctx, t0.Add(time.Second), map[string]float64{"cpu": 12}); err != nil {
		t.Fatal(err)
	}
	got, err := s.SamplesBetween(ctx, t0, time.Time{}, "cpu", "mem")
	if err != nil || len(got["cpu"]) != 2 || got["cpu"][0].Value != 11 || got["cpu"][1].Value != 12 || len(got["mem"]) != 1 {
		t.Errorf("SamplesBetween = %v, %v; want cpu 11, 12 and mem 50", got, err)
	}
	if err := s.SaveReport(ctx, t0.Add(2*time.Second), "sys", []byte("3")); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Prune(ctx, t0.Add(3*time.Second)); err != nil || n != 7 {
		t.Errorf("Prune = %d, %v; want the 4 reports and 3 samples, the pending one among them", n, err)
	}
	if got := f.get(); len(got) != 3 {
		t.Errorf("commits = %v, want 3 (a read, a read, Prune)", got)
	}
}

// A batch that reaches its cap is committed by the save that filled it.
func TestStore_batchCap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, f := openBatched(t)
	for i := range maxBatchSaves {
		if got := f.get(); len(got) != 0 {
			t.Fatalf("commits after %d saves: %v, want none", i, got)
		}
		if err := s.SaveReport(ctx, t0.Add(time.Duration(i)*time.Second), "sys", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.get(); len(got) != 1 || got[0] != maxBatchSaves {
		t.Fatalf("commits after %d saves: %v, want one of all of them", maxBatchSaves, got)
	}
	if n := committed(t, s, "reports"); n != maxBatchSaves {
		t.Errorf("%d reports in the file, want %d", n, maxBatchSaves)
	}
	big := bytes.Repeat([]byte("y"), maxBatchBytes)
	if err := s.SaveReport(ctx, t0, "sys", []byte("small")); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveReport(ctx, t0, "sys", big); err != nil {
		t.Fatal(err)
	}
	if got := f.get(); len(got) != 2 || got[1] != 2 {
		t.Errorf("commits after 1 MiB of data: %v, want a second one of 2 saves", got)
	}
}

// N saves cost one transaction: one commit, and a fraction of the WAL
// frames N commits write (every commit writes the leaf pages it changed).
func TestStore_batchOneTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const n = 20
	data := bytes.Repeat([]byte(`{"cpu":{"percent":12.5}}`), 100)
	walGrowth := func(interval time.Duration) int64 {
		s := openTest(t, WithFlushInterval(interval))
		f := &flushes{}
		s.wb.afterFlush = f.hook
		before := walSize(t, s.path)
		for i := range n {
			at := t0.Add(time.Duration(i) * time.Second)
			if err := s.SaveReportAndSamples(ctx, at, "sys", data, map[string]float64{"cpu": float64(i), "mem": 1}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Reports(ctx, "sys", time.Time{}, 1); err != nil {
			t.Fatal(err)
		}
		if got := f.get(); interval > 0 && (len(got) != 1 || got[0] != n) {
			t.Errorf("commits of %d saves: %v, want one", n, got)
		}
		return walSize(t, s.path) - before
	}
	each, batched := walGrowth(0), walGrowth(time.Hour)
	t.Logf("WAL growth for %d reports: %d bytes committed one by one, %d in one batch", n, each, batched)
	if batched <= 0 || batched*4 > each {
		t.Errorf("WAL growth for %d reports: %d bytes in one batch, %d one by one; want a quarter or less", n, batched, each)
	}
}

func walSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// A failed commit counts as a failed write (Status, WriteStatus), is
// logged once with what was lost, and is returned by the next save, once.
func TestStore_batchFlushError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var full atomic.Bool
	var logs logBuffer
	s, f := openBatched(t, WithLogger(logs.logger()), WithFaults(func(f Fault) error {
		if full.Load() && f.Op == opFlush {
			return fmt.Errorf("injected: %w", &fs.PathError{Op: "write", Path: "nexusmon.db-wal", Err: syscall.ENOSPC})
		}
		return nil
	}))
	full.Store(true)
	for i := range 3 {
		if err := s.SaveReportAndSamples(ctx, t0.Add(time.Duration(i)*time.Second), "sys", []byte("lost"), map[string]float64{"cpu": 1}); err != nil {
			t.Fatalf("save %d: %v", i, err)
		}
	}
	if w, n := s.WriteStatus(); !w || n != 0 {
		t.Fatalf("WriteStatus before the commit = %v, %d", w, n)
	}
	if recs, err := s.Reports(ctx, "sys", time.Time{}, 0); err != nil || len(recs) != 0 {
		t.Errorf("Reports after the failed commit = %v, %v; want none and no error", recs, err)
	}
	if w, n := s.WriteStatus(); w || n != 1 {
		t.Errorf("WriteStatus after the failed commit = %v, %d; want false, 1", w, n)
	}
	if st := s.Status(); st.OK || st.WriteErrorClass != ClassDiskFull || !strings.Contains(st.LastError, "3 reports and 3 samples lost") {
		t.Errorf("Status after the failed commit = %+v", st)
	}
	if got := strings.Count(logs.String(), "store: operation failed"); got != 1 || !strings.Contains(logs.String(), "reports_lost=3") {
		t.Errorf("logged %d failures, want 1 with reports_lost=3:\n%s", got, logs.String())
	}

	full.Store(false)
	err := s.SaveReport(ctx, t0.Add(time.Minute), "sys", []byte("kept"))
	if !IsDiskFull(err) || !strings.Contains(err.Error(), "3 reports") {
		t.Errorf("next save = %v, want the failed commit's error", err)
	}
	if err := s.SaveReport(ctx, t0.Add(2*time.Minute), "sys", []byte("kept")); err != nil {
		t.Errorf("the save after = %v, want nil: the error is returned once", err)
	}
	if recs, err := s.Reports(ctx, "sys", time.Time{}, 0); err != nil || len(recs) != 2 {
		t.Errorf("Reports = %d, %v; want the 2 saves after the failure", len(recs), err)
	}
	if w, n := s.WriteStatus(); !w || n != 1 {
		t.Errorf("WriteStatus after a good commit = %v, %d; want true, 1", w, n)
	}
	if got := f.get(); len(got) != 2 {
		t.Errorf("commits = %v, want 2", got)
	}
}

// Close commits the pending batch; a save after Close fails.
func TestStore_batchCloseCommits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nexusmon.db")
	s, err := Open(ctx, path, WithFlushInterval(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := s.SaveReportAndSamples(ctx, t0.Add(time.Duration(i)*time.Second), "sys", []byte("x"), map[string]float64{"cpu": 1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveReport(ctx, t0, "sys", []byte("late")); err == nil {
		t.Error("SaveReport after Close succeeded")
	}
	s = openAgain(t, path)
	if recs, err := s.Reports(ctx, "sys", time.Time{}, 0); err != nil || len(recs) != 5 {
		t.Errorf("Reports after reopening = %d, %v; want 5", len(recs), err)
	}
	if got, err := s.Samples(ctx, "cpu", time.Time{}); err != nil || len(got) != 5 {
		t.Errorf("Samples after reopening = %d, %v; want 5", len(got), err)
	}
}

// openAgain opens path (write-behind off) and closes it when the test ends.
func openAgain(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// Close returns a failed commit no save returned, its own included.
func TestStore_batchCloseReturnsFlushError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "nexusmon.db"), WithFlushInterval(time.Minute),
		WithFaults(func(f Fault) error {
			if f.Op == opFlush {
				return fmt.Errorf("injected: %w", syscall.ENOSPC)
			}
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveReport(ctx, t0, "sys", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); !IsDiskFull(err) || !strings.Contains(err.Error(), "1 report and 0 samples lost") {
		t.Errorf("Close = %v, want the failed commit's error", err)
	}
}

// The timer commits a batch its interval after its first save.
func TestStore_batchTimer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t, WithFlushInterval(time.Millisecond))
	done := make(chan int, 1)
	s.wb.afterFlush = func(saves int, err error) {
		if err != nil {
			t.Error(err)
		}
		done <- saves
	}
	if err := s.SaveReport(ctx, t0, "sys", []byte("x")); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-done:
		if n != 1 {
			t.Errorf("the timer committed %d saves, want 1", n)
		}
	case <-time.After(time.Minute): // a guard against a hang, not a measurement
		t.Fatal("the timer never committed the batch")
	}
	if n := committed(t, s, "reports"); n != 1 {
		t.Errorf("%d reports in the file after the timer's commit, want 1", n)
	}
}

// A save made while a batch commits goes to the next batch without
// waiting, and a second flush waits for the first.
func TestStore_batchSaveDuringFlush(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, f := openBatched(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var inFlush atomic.Int32
	s.wb.afterFlush = func(saves int, err error) {
		if inFlush.Add(1) != 1 {
			t.Error("two flushes at once")
		}
		if len(f.get()) == 0 {
			close(entered)
			<-release
		}
		f.hook(saves, err)
		inFlush.Add(-1)
	}
	if err := s.SaveReport(ctx, t0, "sys", []byte("1")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, err := s.Reports(ctx, "sys", time.Time{}, 0); err != nil {
			t.Error(err)
		}
	})
	<-entered
	saved := make(chan error, 1)
	go func() { saved <- s.SaveReport(ctx, t0.Add(time.Second), "sys", []byte("2")) }()
	select {
	case err := <-saved:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute): // a guard against a hang, not a measurement
		t.Fatal("a save waited for the flush")
	}
	wg.Go(func() { s.flush(ctx) }) // waits for the first
	close(release)
	wg.Wait()
	if got := f.get(); len(got) != 2 || got[0] != 1 || got[1] != 1 {
		t.Errorf("commits = %v, want two of one save each", got)
	}
	if n := committed(t, s, "reports"); n != 2 {
		t.Errorf("%d reports in the file, want 2", n)
	}
}

// Saves from several goroutines, with reads and the timer's commits among
// them, all arrive (run with -race).
func TestStore_batchConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t, WithFlushInterval(time.Millisecond))
	const workers, each = 4, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				at := t0.Add(time.Duration(w*each+i) * time.Millisecond)
				if err := s.SaveReportAndSamples(ctx, at, "sys", []byte("x"), map[string]float64{"cpu": float64(i)}); err != nil {
					t.Error(err)
					return
				}
				if i%10 == 0 {
					if _, err := s.SamplesBetween(ctx, t0, time.Time{}, "cpu"); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	recs, err := s.Reports(ctx, "sys", time.Time{}, 0)
	if err != nil || len(recs) != workers*each {
		t.Errorf("Reports = %d, %v; want %d", len(recs), err, workers*each)
	}
}
