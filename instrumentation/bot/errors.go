package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/nexusmon/nexusmon/internal/errtext"
)

// MaxMessageRunes bounds ErrorEvent.Message and span status messages.
const MaxMessageRunes = errtext.MaxRunes

// Error types of nexusmon's own classification; everything else is the Go
// type name of the error (semconv error.type convention).
const (
	ErrorTypePanic       = "panic"        // the handler panicked
	ErrorTypeTimeout     = "timeout"      // a deadline expired
	ErrorTypeCanceled    = "canceled"     // the context was cancelled
	ErrorTypeRateLimited = "rate_limited" // discordgo gave up on a 429
)

// ErrorEvent describes one failed command invocation, for error reports.
// Every string is safe to show: Message is sanitised (see Sanitize), the
// IDs are Discord snowflakes.
type ErrorEvent struct {
	Command       string        // discord.command.name, e.g. "nexus status"
	Module        string        // discord.command.module
	ErrorType     string        // error.type
	Message       string        // sanitised error text, at most MaxMessageRunes runes
	GuildID       string        // "" in DMs
	ChannelID     string        //
	InteractionID string        //
	Duration      time.Duration // handler start to return (or panic)
	Goroutines    int           // runtime.NumGoroutine at the failure
	HeapAlloc     uint64        // live heap bytes at the failure
	At            time.Time     // when the handler returned, from InstrumentOptions.Now
	Panic         bool          // the handler panicked
	Remote        bool          // it ran in another process (RecordInvocation): Goroutines and HeapAlloc are not known
}

// PanicError is the error a recovered handler panic turns into. Its error
// type is ErrorTypePanic.
type PanicError struct {
	Value any    // what the handler panicked with
	Stack []byte // the goroutine's stack at the panic
}

// Error returns "panic: " and the panic value.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// ErrorType returns ErrorTypePanic; semconv.ErrorType honours it.
func (e *PanicError) ErrorType() string { return ErrorTypePanic }

// ErrorType classifies err for the error.type attribute: "" for nil, the
// Error* constants for panics, deadlines, cancellations and discordgo rate
// limits, "discord.<code>" for a Discord JSON error code (e.g.
// "discord.10062", unknown interaction), "http.<status>" for other REST
// errors, and otherwise the Go type name of err (an ErrorType() string
// method wins), as semconv.ErrorType does. The set stays bounded: no part
// of the error text is used.
func ErrorType(err error) string {
	if err == nil {
		return ""
	}
	var pe *PanicError
	if errors.As(err, &pe) {
		return ErrorTypePanic
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ErrorTypeTimeout
	}
	if errors.Is(err, context.Canceled) {
		return ErrorTypeCanceled
	}
	var rest *discordgo.RESTError
	if errors.As(err, &rest) {
		if rest.Message != nil && rest.Message.Code != 0 {
			return "discord." + strconv.Itoa(rest.Message.Code)
		}
		if rest.Response != nil {
			return "http." + strconv.Itoa(rest.Response.StatusCode)
		}
	}
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) {
		return ErrorTypeRateLimited
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ErrorTypeTimeout
	}
	return semconv.ErrorType(err).Value.AsString()
}

// Sanitize makes an error text safe to put in a span, a log line or a
// Discord message: secrets-looking tokens (bot tokens, Authorization
// values, webhook and interaction tokens, URL user information,
// key=value secrets, long opaque strings) are replaced, control characters
// become spaces, and the result is at most MaxMessageRunes runes, ending
// with "…" when cut. Mentions such as "@everyone" are left for the renderer
// to escape. See internal/errtext.
func Sanitize(s string) string { return errtext.Sanitize(s) }

// sanitizedError keeps an error's chain for errors.Is/As but sanitises its
// text, so wrapping a discordgo error (whose text may quote an interaction
// or webhook URL with its token) never leaks the token.
type sanitizedError struct {
	op  string
	err error
}

func (e *sanitizedError) Error() string { return e.op + ": " + Sanitize(e.err.Error()) }
func (e *sanitizedError) Unwrap() error { return e.err }

func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return &sanitizedError{op: op, err: err}
}

// DigestCount is one line of an ErrorDigest.
type DigestCount struct {
	Command   string
	Module    string
	ErrorType string
	Count     int
}

// ErrorDigest summarises the errors a Throttle suppressed in one window.
type ErrorDigest struct {
	Start, End time.Time     // the window
	Suppressed int           // errors not emitted individually
	Counts     []DigestCount // by command, module and error type; largest first
}

// maxDigestKeys bounds the distinct lines of a digest; the rest are
// counted under an empty command and the error type "other".
const maxDigestKeys = 50

type digestKey struct{ command, module, errorType string }

// Throttle turns an error storm into a bounded number of reports: within
// each window the first burst errors are emitted one by one, and the rest
// are counted into one ErrorDigest per window. It is pure logic: time comes
// from the callers' arguments. Safe for concurrent use; emit is called
// without the lock held, in the caller's goroutine.
type Throttle struct {
	window time.Duration
	burst  int
	emit   func(ErrorEvent, int)

	mu         sync.Mutex
	start      time.Time // of the current window; zero before the first event
	emitted    int       // in the current window
	suppressed int       // in the current window
	total      int       // suppressed since the Throttle was created
	counts     map[digestKey]int
}

// NewThrottle returns a Throttle that emits at most burst events per
// window. emit receives each event let through and the number of events
// suppressed since the Throttle was created. A window of zero or less means
// one minute; a burst below 1 means 1.
func NewThrottle(window time.Duration, burst int, emit func(ErrorEvent, int)) *Throttle {
	if window <= 0 {
		window = time.Minute
	}
	if burst < 1 {
		burst = 1
	}
	return &Throttle{window: window, burst: burst, emit: emit, counts: make(map[digestKey]int)}
}

// Offer handles ev, which happened at now. It either emits ev at once or
// counts it for the window's digest. When ev opens a new window and the
// previous one suppressed anything, Offer returns that window's digest,
// else nil.
func (t *Throttle) Offer(ev ErrorEvent, now time.Time) *ErrorDigest {
	t.mu.Lock()
	var closed *ErrorDigest
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
		k := digestKey{ev.Command, ev.Module, ev.ErrorType}
		if _, ok := t.counts[k]; !ok && len(t.counts) >= maxDigestKeys {
			k = digestKey{errorType: "other"}
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
// the next error.
func (t *Throttle) Flush(now time.Time) *ErrorDigest {
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
func (t *Throttle) closeLocked() *ErrorDigest {
	defer func() {
		t.emitted, t.suppressed = 0, 0
		clear(t.counts)
	}()
	if t.suppressed == 0 {
		return nil
	}
	d := &ErrorDigest{Start: t.start, End: t.start.Add(t.window), Suppressed: t.suppressed}
	for k, n := range t.counts {
		d.Counts = append(d.Counts, DigestCount{Command: k.command, Module: k.module, ErrorType: k.errorType, Count: n})
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
