package store

import (
	"context"
	"runtime/metrics"
	"testing"
	"time"
)

// goroutinesCreated is the runtime's count of goroutines created so far.
func goroutinesCreated() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// A report's write with the agent's (cancellable) context must not start a
// goroutine per statement: modernc's driver watches a cancellable context
// with one, and database/sql's transaction adds its own. Only the latter is
// left (one per transaction). Not parallel: it counts the process's goroutines.
func TestSaveReportAndSamples_goroutines(t *testing.T) {
	s := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	values := map[string]float64{"cpu_percent": 12.5, "memory_percent": 40.25, "disk_percent": 63.1}
	at := t0
	save := func() {
		at = at.Add(time.Second)
		if err := s.SaveReportAndSamples(ctx, at, "detailed_system_monitoring", []byte(`{}`), values); err != nil {
			t.Fatal(err)
		}
	}
	save() // prepares the statements
	const n = 50
	g0 := goroutinesCreated()
	for range n {
		save()
	}
	if per := float64(goroutinesCreated()-g0) / n; per > 1.5 {
		t.Errorf("%.1f goroutines created per report saved, want at most 1 (the transaction's)", per)
	}
}

// Every statement of the agent's steady state is prepared once and kept:
// the alert state, the outbox's steps and the history reads as well as the
// report's inserts.
func TestStatementsPrepared(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	if err := s.PutAll(ctx, []KV{{NS: "alerts", Key: "cpu", Value: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(ctx, "alerts", "cpu"); err != nil {
		t.Fatal(err)
	}
	ids, _, err := s.EnqueueWith(ctx, nil, Message{Dest: "bot", Kind: "k", EditKey: "live", Body: []byte("{}")},
		Message{Dest: "bot", Kind: "k", Body: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Head(ctx, "bot"); err != nil {
		t.Fatal(err)
	}
	if err := s.Retry(ctx, ids[0], 1, t0, "429"); err != nil {
		t.Fatal(err)
	}
	if err := s.Ack(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.Fail(ctx, ids[1], "400"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Depth(ctx, "bot"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SamplesBetween(ctx, t0, time.Time{}, "cpu_percent", "memory_percent"); err != nil {
		t.Fatal(err)
	}
	s.stmtMu.Lock()
	n := len(s.stmts)
	for _, q := range []string{putSQL, supersedeSQL, enqueueSQL, ackSQL, failSQL} {
		if s.stmts[q] == nil {
			t.Errorf("not kept prepared: %s", q)
		}
	}
	s.stmtMu.Unlock()
	if n < 10 {
		t.Errorf("%d statements kept prepared, want every one run above (at least 10)", n)
	}
}
