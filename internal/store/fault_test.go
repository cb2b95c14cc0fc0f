package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync/atomic"
	"syscall"
	"testing"
)

// A fault between the key-value writes and the outbox insert of EnqueueWith
// stores neither: after it, the state is what it was and the outbox is
// empty; without it, both are written.
func TestStore_EnqueueWithIsOneTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var crash atomic.Bool
	crash.Store(true)
	s := openTest(t, WithClock(fixedClock(t0)), WithFaults(func(f Fault) error {
		if f.Point == FaultOutbox && crash.Load() {
			return errors.New("injected crash")
		}
		return nil
	}))
	if err := s.Put(ctx, "alerts", "cpu", []byte("inactive")); err != nil {
		t.Fatal(err)
	}
	kv := []KV{{NS: "alerts", Key: "cpu", Value: []byte("firing")}, {NS: "alerts", Key: "disk", Value: []byte("firing")}}
	msgs := []Message{{Dest: "bot", Kind: "alert", Body: []byte("cpu")}, {Dest: "bot", Kind: "alert", Body: []byte("disk")}}

	if _, _, err := s.EnqueueWith(ctx, kv, msgs...); err == nil {
		t.Fatal("EnqueueWith succeeded through the injected crash")
	}
	if v, _, err := s.Get(ctx, "alerts", "cpu"); err != nil || string(v) != "inactive" {
		t.Errorf("state after the failed transaction = %q, %v; want the old value", v, err)
	}
	if _, ok, err := s.Get(ctx, "alerts", "disk"); ok || err != nil {
		t.Errorf("new state key written by the failed transaction (ok=%v, err=%v)", ok, err)
	}
	if n, err := s.Depth(ctx, "bot"); err != nil || n != 0 {
		t.Errorf("outbox depth after the failed transaction = %d, %v; want 0", n, err)
	}

	crash.Store(false)
	ids, superseded, err := s.EnqueueWith(ctx, kv, msgs...)
	if err != nil || len(ids) != 2 || ids[0] >= ids[1] || superseded != 0 {
		t.Fatalf("EnqueueWith = %v, %d, %v", ids, superseded, err)
	}
	if v, _, err := s.Get(ctx, "alerts", "cpu"); err != nil || string(v) != "firing" {
		t.Errorf("state = %q, %v; want firing", v, err)
	}
	if got := drain(t, s, "bot"); len(got) != 2 {
		t.Errorf("outbox = %v, want both messages", got)
	}

	// Without messages it writes the state alone, in one transaction.
	if _, _, err := s.EnqueueWith(ctx, []KV{{NS: "alerts", Key: "cpu", Value: nil}}); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.Get(ctx, "alerts", "cpu"); err != nil || !ok || len(v) != 0 {
		t.Errorf("state = %q, %v, %v; want an empty value", v, ok, err)
	}
}

// Edits among the messages of one EnqueueWith supersede each other as
// separate Enqueues would.
func TestStore_EnqueueWithSupersedes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	enqueueAll(t, s, Message{Dest: "bot", Priority: 1, Kind: "system", EditKey: "system", Body: []byte("1")})
	_, superseded, err := s.EnqueueWith(ctx, nil,
		Message{Dest: "bot", Priority: 1, Kind: "system", EditKey: "system", Body: []byte("2")},
		Message{Dest: "bot", Priority: 1, Kind: "system", EditKey: "system", Body: []byte("3")})
	if err != nil || superseded != 2 {
		t.Fatalf("EnqueueWith superseded %d (%v), want 2", superseded, err)
	}
	m, ok, err := s.Head(ctx, "bot")
	if err != nil || !ok || string(m.Body) != "3" {
		t.Errorf("Head = %q, %v, %v; want the newest edit", m.Body, ok, err)
	}
}

// A failing write clears Writable and counts the failure with its class; a
// failing read does not; the next successful write sets it again.
func TestStore_StatusWritable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var full atomic.Bool
	s := openTest(t, WithFaults(func(f Fault) error {
		if full.Load() {
			return fmt.Errorf("injected: %w", &fs.PathError{Op: "write", Path: "nexusmon.db-wal", Err: syscall.ENOSPC})
		}
		return nil
	}))
	if st := s.Status(); !st.Writable || st.WriteErrors != 0 || st.WriteErrorClass != "" {
		t.Fatalf("Status of a new store = %+v", st)
	}
	full.Store(true)
	writes := map[string]func() error{
		"SaveReport":  func() error { return s.SaveReport(ctx, t0, "sys", []byte("x")) },
		"SaveSamples": func() error { return s.SaveSamples(ctx, t0, map[string]float64{"cpu": 1}) },
		"Put":         func() error { return s.Put(ctx, "ns", "k", []byte("v")) },
		"Delete":      func() error { return s.Delete(ctx, "ns", "k") },
		"Enqueue":     func() error { _, _, err := s.Enqueue(ctx, Message{Dest: "bot", Kind: "a"}); return err },
		"Ack":         func() error { return s.Ack(ctx, 1) },
		"Retry":       func() error { return s.Retry(ctx, 1, 1, t0, "x") },
		"Fail":        func() error { return s.Fail(ctx, 1, "x") },
		"DropOldest":  func() error { _, err := s.DropOldest(ctx, "bot", 1, 1); return err },
		"Prune":       func() error { _, err := s.Prune(ctx, t0); return err },
	}
	for name, w := range writes {
		if err := w(); !IsDiskFull(err) {
			t.Errorf("%s with a full disk = %v, want a disk-full error", name, err)
		}
	}
	st := s.Status()
	if st.Writable || st.OK || st.WriteErrors != int64(len(writes)) || st.Errors != int64(len(writes)) || st.WriteErrorClass != ClassDiskFull {
		t.Errorf("Status after failed writes = %+v", st)
	}
	if _, err := s.Depth(ctx, "bot"); err != nil {
		t.Fatalf("a read with a full disk: %v", err)
	}
	if s.Status().Writable {
		t.Error("a successful read made the store writable")
	}
	full.Store(false)
	if err := s.Put(ctx, "ns", "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if st := s.Status(); !st.Writable || !st.OK || st.WriteErrors != int64(len(writes)) || st.WriteErrorClass != ClassDiskFull {
		t.Errorf("Status after a successful write = %+v; want writable, the count and class of the past failures kept", st)
	}
}

func TestErrorClass(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		err  error
		want string
	}{
		"nil":       {nil, ""},
		"ENOSPC":    {fmt.Errorf("x: %w", syscall.ENOSPC), ClassDiskFull},
		"EROFS":     {&fs.PathError{Op: "open", Path: "x", Err: syscall.EROFS}, ClassReadOnly},
		"EACCES":    {syscall.EACCES, ClassPermission},
		"EIO":       {syscall.EIO, ClassIO},
		"corrupt":   {fmt.Errorf("read: %w", ErrCorrupt), ClassCorrupt},
		"other":     {errors.New("boom"), ClassOther},
		"not found": {ErrNotFound, ClassOther},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := ErrorClass(tt.err); got != tt.want {
				t.Errorf("ErrorClass(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}
