package deliver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/deliver/discord"
	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/internal/store"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// errNoSpace is the error a store fault hook returns for a full disk.
var errNoSpace = &fs.PathError{Op: "write", Path: "nexusmon.db-wal", Err: syscall.ENOSPC}

// recSender is a Sender that records every embed title it is given, in
// order, and can be made to fail.
type recSender struct {
	name   string
	mu     sync.Mutex
	titles []string
	tries  int   // calls of Post and Edit
	fail   error // returned by Post and Edit while set
}

func (s *recSender) Name() string { return s.name }

func (s *recSender) Post(_ context.Context, p *render.Payload) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tries++
	if s.fail != nil {
		return "", s.fail
	}
	for _, e := range p.Embeds {
		s.titles = append(s.titles, e.Title)
	}
	return fmt.Sprint(1300000000000000000 + len(s.titles)), nil
}

func (s *recSender) Edit(ctx context.Context, _ string, p *render.Payload) error {
	_, err := s.Post(ctx, p)
	return err
}

func (s *recSender) setFail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

// attempts returns how many times Post or Edit was called.
func (s *recSender) attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tries
}

// got returns the titles sent so far.
func (s *recSender) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.titles...)
}

// withPrefix returns the titles that start with prefix.
func withPrefix(titles []string, prefix string) []string {
	var out []string
	for _, t := range titles {
		if strings.HasPrefix(t, prefix) {
			out = append(out, t)
		}
	}
	return out
}

// The process dies after an alert was evaluated, inside the transaction
// that would record it as notified and queue its message. After a restart
// the alert is delivered: the state was not kept without the message.
func TestAlerts_CrashBeforeEnqueueStillDelivers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nexusmon.db")
	var crashed atomic.Bool
	st1, err := store.Open(ctx, path, store.WithFaults(func(f store.Fault) error {
		// The crash happens at the first outbox insert; after it the
		// process is gone and writes nothing more.
		if crashed.Load() || f.Point == store.FaultOutbox {
			crashed.Store(true)
			return errors.New("injected crash")
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	// The first process's delivery never runs: it dies before sending.
	d1, err := NewDelivery(st1, &recSender{name: discord.DestBot}, dlvOpts(nil))
	if err != nil {
		t.Fatal(err)
	}
	at := reporttest.FixtureTime
	r1 := report.NewReporter(report.Options{Host: "host-1", Store: st1, Queue: ReportQueue(d1), Now: func() time.Time { return at }})
	if err := r1.Collect(ctx, reportdata.EventMemory, reporttest.BareSnapshot(at, 80), nil); err == nil {
		t.Error("handle succeeded through the crash")
	}
	if !crashed.Load() {
		t.Fatal("the alert never reached the outbox insert")
	}
	if err := st1.Close(); err != nil {
		t.Fatal(err)
	}

	// Restart on the same file.
	st2, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st2.Close(); err != nil {
			t.Error(err)
		}
	})
	s2 := &recSender{name: discord.DestBot}
	d2 := dlvStart(t, st2, s2, dlvOpts(nil))
	at = at.Add(30 * time.Second)
	r2 := report.NewReporter(report.Options{Host: "host-1", Store: st2, Queue: ReportQueue(d2), Now: func() time.Time { return at }})
	if err := r2.Collect(ctx, reportdata.EventMemory, reporttest.BareSnapshot(at, 80), nil); err != nil {
		t.Fatal(err)
	}
	dlvFlush(t, d2, 10*time.Second)
	if got := withPrefix(s2.got(), "⚠️ WARNING · memory usage"); len(got) != 1 {
		t.Errorf("after the restart Discord got %q, want the memory WARNING once", s2.got())
	}
}

// Without a Discord queue (console and events file only) the alert state is
// still stored; a state that could not be written is written at the rule's
// next evaluation, so a restart neither re-fires nor forgets the alert.
func TestAlerts_StateSavedWithoutQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var full atomic.Bool
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "nexusmon.db"), store.WithFaults(func(store.Fault) error {
		if full.Load() {
			return errNoSpace
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	var events bytes.Buffer
	c := &clock{t: reporttest.FixtureTime}
	f := &memoryFeed{t: t, rep: report.NewReporter(report.Options{Host: "host-1", Store: st, Events: &events, Now: c.now}), at: reporttest.FixtureTime}

	full.Store(true)
	if err := f.rep.Collect(ctx, reportdata.EventMemory, reporttest.BareSnapshot(f.at, 80), nil); err == nil {
		t.Error("handle on a full disk returned no error")
	}
	if got := alertRules(alertEvents(t, &events)); got != "memory_percent/firing store_write/firing" {
		t.Fatalf("alerts on a full disk = %s, want the memory WARNING and the store alert", got)
	}
	full.Store(false)
	f.feed(79) // below the peak: the memory alert's standing does not change
	if got := alertRules(alertEvents(t, &events)); got != "store_write/resolved" {
		t.Fatalf("alerts once the disk has space = %s, want the store alert resolved", got)
	}
	b, ok, err := st.Get(ctx, report.AlertNS, health.RuleMemory)
	var saved health.State
	if err == nil && ok {
		err = json.Unmarshal(b, &saved)
	}
	if err != nil || saved.Status != health.StatusFiring {
		t.Fatalf("stored state after the disk has space again = %s (ok=%v, err=%v), want firing", b, ok, err)
	}
	// A restart neither re-fires nor forgets it.
	f2 := &memoryFeed{t: t, rep: report.NewReporter(report.Options{Host: "host-1", Store: st, Events: &events, Now: c.now}), at: f.at}
	f2.feed(79)
	if got := alertEvents(t, &events); len(got) != 0 {
		t.Errorf("after the restart: %+v, want no new alert", got)
	}
	if a := f2.rep.ActiveAlerts(); len(a) != 1 || a[0].Rule != health.RuleMemory {
		t.Errorf("after the restart active alerts = %+v", a)
	}
}

// alertRules lists "rule/state" of alerts.
func alertRules(alerts []reportdata.AlertData) string {
	var out []string
	for _, a := range alerts {
		out = append(out, a.Rule+"/"+a.State)
	}
	return strings.Join(out, " ")
}

// orderQueue is a Queue that cannot take state: it records, for each alert
// enqueued, whether its rule state was already stored.
type orderQueue struct {
	st          *store.Store
	stateStored []bool
}

func (q *orderQueue) Enqueue(ctx context.Context, m report.Message) error {
	if m.Kind == reportdata.EventAlert {
		_, ok, err := q.st.Get(ctx, report.AlertNS, health.RuleMemory)
		if err != nil {
			return err
		}
		q.stateStored = append(q.stateStored, ok)
	}
	return nil
}

// With a queue that cannot take state, the state is stored after the
// message was queued: a crash in between sends the alert again after the
// restart rather than never.
func TestAlerts_StateAfterMessageForPlainQueue(t *testing.T) {
	t.Parallel()
	st := openStore(t, t.TempDir())
	q := &orderQueue{st: st}
	c := &clock{t: reporttest.FixtureTime}
	f := &memoryFeed{t: t, rep: report.NewReporter(report.Options{Host: "host-1", Store: st, Queue: q, Now: c.now}), at: reporttest.FixtureTime}
	f.feed(80)
	if len(q.stateStored) != 1 || q.stateStored[0] {
		t.Fatalf("state stored before its alert was queued: %v", q.stateStored)
	}
	if _, ok, err := st.Get(context.Background(), report.AlertNS, health.RuleMemory); !ok || err != nil {
		t.Errorf("state not stored after the alert (ok=%v, err=%v)", ok, err)
	}
}
