package deliver

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/deliver/discord"
	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// dlvTimers is a manual clock for a Delivery: the loop's waits are timers
// that fire only when the test advances the clock, and each wait the loop
// starts is reported on waits.
type dlvTimers struct {
	mu     sync.Mutex
	now    time.Time
	timers []*dlvTimer
	waits  chan time.Duration
}

type dlvTimer struct {
	at   time.Time
	c    chan time.Time
	done bool // fired or stopped
}

func newDlvTimers(at time.Time) *dlvTimers {
	return &dlvTimers{now: at, waits: make(chan time.Duration, 64)}
}

func (c *dlvTimers) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// timer is the Delivery's newTimer.
func (c *dlvTimers) timer(w time.Duration) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	t := &dlvTimer{at: c.now.Add(w), c: make(chan time.Time, 1)}
	c.timers = append(c.timers, t)
	c.mu.Unlock()
	c.waits <- w
	return t.c, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.done
		t.done = true
		return was
	}
}

// advance moves the clock on by w and fires the timers that are due.
func (c *dlvTimers) advance(w time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(w)
	live := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.done:
		case !t.at.After(c.now):
			t.c <- c.now
			t.done = true
		default:
			live = append(live, t)
		}
	}
	c.timers = live
}

// nextWait returns the next wait the loop starts.
func (c *dlvTimers) nextWait(t *testing.T) time.Duration {
	t.Helper()
	select {
	case w := <-c.waits:
		return w
	case <-time.After(10 * time.Second):
		t.Fatal("the delivery loop started no wait")
		return 0
	}
}

// A permanent outage costs one attempt per backoff step, not a busy loop:
// after each failed attempt the loop waits at least BackoffBase on its clock
// and makes no attempt before that wait is over.
func TestDelivery_NoBusyLoop(t *testing.T) {
	t.Parallel()
	st, _ := dlvStore(t)
	clk := newDlvTimers(reporttest.FixtureTime)
	s := &recSender{name: discord.DestBot}
	s.setFail(&discord.SendError{Status: http.StatusInternalServerError, Retryable: true, Reason: discord.ReasonServer, Err: errors.New("500 Internal Server Error")})
	opts := dlvOpts(nil)
	opts.BackoffBase, opts.BackoffMax, opts.Now = 100*time.Millisecond, 100*time.Millisecond, clk.Now
	d, err := NewDelivery(st, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	d.newTimer = clk.timer
	dlvEnqueue(t, d, Outbound{Kind: reportdata.EventAlert, Priority: report.PriorityAlert, Payload: dlvPayload("x", "")})
	<-d.wake // the enqueue's wake-up: from here every wait is one the loop parks on
	d.Start(context.Background())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := d.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	const failures = 5
	for i := 1; i <= failures; i++ {
		w := clk.nextWait(t)
		if n := s.attempts(); n != i {
			t.Fatalf("%d attempts before wait %d, want %d: the loop retried without waiting", n, i, i)
		}
		if w < opts.BackoffBase {
			t.Fatalf("wait %d is %v, want at least the backoff base %v", i, w, opts.BackoffBase)
		}
		if i == failures {
			s.setFail(nil) // Discord is back for the next attempt
		}
		clk.advance(w)
	}
	dlvFlush(t, d, 10*time.Second)
	if got := s.got(); len(got) != 1 || got[0] != "x" || s.attempts() != failures+1 {
		t.Errorf("sent %q in %d attempts, want x once after %d failures", got, s.attempts(), failures)
	}
}
