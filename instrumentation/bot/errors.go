package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/nexusmon/nexusmon/instrumentation/bot/throttle"
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

// DigestCount is one line of an ErrorDigest: suppressed errors by
// command, module and error type.
type DigestCount = throttle.DigestCount

// ErrorDigest summarises the errors a Throttle suppressed in one window.
type ErrorDigest = throttle.Digest

// Throttle turns an error storm into a bounded number of reports: within
// each window the first burst errors are emitted one by one, and the rest
// are counted into one ErrorDigest per window (see package throttle). Safe
// for concurrent use.
type Throttle = throttle.Throttle[ErrorEvent]

// NewThrottle returns a Throttle that emits at most burst events per
// window. emit receives each event let through and the number of events
// suppressed since the Throttle was created. A window of zero or less means
// one minute; a burst below 1 means 1.
func NewThrottle(window time.Duration, burst int, emit func(ErrorEvent, int)) *Throttle {
	return throttle.New(window, burst, emit, func(ev ErrorEvent) throttle.Key {
		return throttle.Key{Command: ev.Command, Module: ev.Module, ErrorType: ev.ErrorType}
	})
}
