package throttle

import (
	"sort"
	"sync"
	"time"
)

// Key is what a Digest counts suppressed events by.
type Key struct {
	Command   string
	Module    string
	ErrorType string
}

// DigestCount is one line of a Digest.
type DigestCount struct {
	Command   string
	Module    string
	ErrorType string
	Count     int
}

// Digest summarises the events a Throttle suppressed in one window.
type Digest struct {
	Start, End time.Time     // the window
	Suppressed int           // events not emitted individually
	Counts     []DigestCount // by command, module and error type; largest first
}

// MaxKeys bounds the distinct lines of a digest; the rest are counted
// under an empty command and the error type "other".
const MaxKeys = 50

// Throttle turns a storm of events into a bounded number of reports:
// within each window the first burst events are emitted one by one, and
// the rest are counted into one Digest per window. It is pure logic: time
// comes from the callers' arguments. Safe for concurrent use; emit is
// called without the lock held, in the caller's goroutine.
type Throttle[E any] struct {
	window time.Duration
	burst  int
	emit   func(E, int)
	key    func(E) Key

	mu         sync.Mutex
	start      time.Time // of the current window; zero before the first event
	emitted    int       // in the current window
	suppressed int       // in the current window
	total      int       // suppressed since the Throttle was created
	counts     map[Key]int
}

// New returns a Throttle that emits at most burst events per window and
// counts the others by key. emit receives each event let through and the
// number of events suppressed since the Throttle was created. A window of
// zero or less means one minute; a burst below 1 means 1.
func New[E any](window time.Duration, burst int, emit func(E, int), key func(E) Key) *Throttle[E] {
	if window <= 0 {
		window = time.Minute
	}
	if burst < 1 {
		burst = 1
	}
	return &Throttle[E]{window: window, burst: burst, emit: emit, key: key, counts: make(map[Key]int)}
}

// Offer handles ev, which happened at now. It either emits ev at once or
// counts it for the window's digest. When ev opens a new window and the
// previous one suppressed anything, Offer returns that window's digest,
// else nil.
func (t *Throttle[E]) Offer(ev E, now time.Time) *Digest {
	t.mu.Lock()
	var closed *Digest
	if t.start.IsZero() || !now.Before(t.start.Add(t.window)) {
		closed = t.closeLocked()
		t.start = now
	}
	pass := t.emitted < t.burst
	if pass {
		t.emitted++
	} else {
		t.suppressed++
		t.total++
		k := t.key(ev)
		if _, ok := t.counts[k]; !ok && len(t.counts) >= MaxKeys {
			k = Key{ErrorType: "other"}
		}
		t.counts[k]++
	}
	total := t.total
	t.mu.Unlock()
	if pass && t.emit != nil {
		t.emit(ev, total)
	}
	return closed
}

// Flush returns the digest of the current window once it has ended (now is
// at or past its end) and suppressed anything; otherwise nil. Call it on a
// timer so the digest of the last window of a storm is not held back until
// the next event.
func (t *Throttle[E]) Flush(now time.Time) *Digest {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.start.IsZero() || now.Before(t.start.Add(t.window)) {
		return nil
	}
	d := t.closeLocked()
	t.start = time.Time{}
	return d
}

// closeLocked ends the current window and returns its digest, or nil when
// nothing was suppressed in it.
func (t *Throttle[E]) closeLocked() *Digest {
	defer func() {
		t.emitted, t.suppressed = 0, 0
		clear(t.counts)
	}()
	if t.suppressed == 0 {
		return nil
	}
	d := &Digest{Start: t.start, End: t.start.Add(t.window), Suppressed: t.suppressed}
	for k, n := range t.counts {
		d.Counts = append(d.Counts, DigestCount{Command: k.Command, Module: k.Module, ErrorType: k.ErrorType, Count: n})
	}
	sort.Slice(d.Counts, func(i, j int) bool {
		a, b := d.Counts[i], d.Counts[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.Command != b.Command {
			return a.Command < b.Command
		}
		if a.Module != b.Module {
			return a.Module < b.Module
		}
		return a.ErrorType < b.ErrorType
	})
	return d
}
