package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nexusmon/nexusmon/internal/discordapi"
	"github.com/nexusmon/nexusmon/render"
)

// Destinations: what Sender.Name returns, the outbox destination and the
// nexusmon.destination attribute.
const (
	DestBot     = "bot"
	DestWebhook = "webhook"
)

// Failure reasons of a SendError, also the nexusmon.delivery.reason
// attribute of nexusmon.messages.failed. ReasonExpired is the Delivery's own:
// a message retried for longer than DeliveryOptions.MaxAge.
const (
	ReasonBadRequest   = "bad_request"  // 400 (and any other 4xx not listed here)
	ReasonUnauthorized = "unauthorized" // 401: wrong or revoked token
	ReasonForbidden    = "forbidden"    // 403: missing permissions
	ReasonNotFound     = "not_found"    // 404: unknown channel, webhook or message
	ReasonTooLarge     = "too_large"    // 413: request entity too large
	ReasonRateLimited  = "rate_limited" // 429
	ReasonServer       = "server"       // 5xx and 408
	ReasonTransport    = "transport"    // no answer: timeout, reset, refused
	ReasonExpired      = "expired"      // given up after MaxAge
)

// Sender makes ONE delivery attempt to one Discord destination and
// classifies the result; it never retries and never sleeps on a rate limit.
// Retrying, waiting and ordering belong to Delivery.
//
// Implementations must be safe for concurrent use; Delivery calls a Sender
// serially (one attempt at a time per destination). Post and Edit honour
// ctx: when it ends, the request is abandoned and the error says so (Discord
// may still have accepted it). Errors other than nil are *SendError values,
// except for payloads that cannot be encoded at all, and never contain the
// bot token or the webhook URL.
type Sender interface {
	// Name is the destination: "bot" or "webhook". It is the outbox
	// destination, so it must stay the same across restarts.
	Name() string
	// Post creates a message and returns its id ("" when Discord did not
	// say).
	Post(ctx context.Context, p *render.Payload) (messageID string, err error)
	// Edit replaces the content, embeds and attachments of a message the
	// destination posted. When the message is gone (404, code 10008) the
	// error satisfies IsUnknownMessage.
	Edit(ctx context.Context, messageID string, p *render.Payload) error
}

// Pacer is implemented by Senders that follow Discord's rate-limit headers.
// Delivery asks it before every attempt, so it waits for a bucket to reset
// instead of running into a 429.
type Pacer interface {
	// Delay returns how long to wait before the next post (edit false) or
	// edit (edit true) so that no known bucket is exceeded; 0 means now.
	Delay(edit bool) time.Duration
}

// SendError describes one failed delivery attempt. Its text is sanitised:
// it never contains the bot token or the webhook URL.
type SendError struct {
	Status     int           // HTTP status; 0 for transport errors
	Code       int           // Discord's JSON error code, 0 if none
	Retryable  bool          // 429, 5xx, 408 and transport errors
	RetryAfter time.Duration // 429: retry_after (or Retry-After); 5xx: Retry-After if sent
	Global     bool          // a global 429
	Reason     string        // one of the Reason* constants
	Err        error         // what happened, sanitised

	edit  bool   // the attempt was an edit
	Scope string // a 429's X-RateLimit-Scope: user, shared or global
}

// Error returns the sanitised description of the failure.
func (e *SendError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return fmt.Sprintf("discord: %s (HTTP %d, code %d)", e.Reason, e.Status, e.Code)
}

// Unwrap returns the underlying error.
func (e *SendError) Unwrap() error { return e.Err }

// IsUnknownMessage reports whether err says the message an edit targeted is
// gone: Discord's 404 with code 10008 ("Unknown Message"), or a 404 without
// a Discord code on an edit. The live message must then be posted anew.
func IsUnknownMessage(err error) bool {
	var se *SendError
	if !errors.As(err, &se) || se.Status != http.StatusNotFound {
		return false
	}
	return se.Code == codeUnknownMessage || (se.Code == 0 && se.edit)
}

// Discord JSON error codes the senders look at.
// https://discord.com/developers/docs/topics/opcodes-and-status-codes#json
const codeUnknownMessage = 10008

// redactor removes secrets from text that may end up in errors and logs.
type redactor []string

const redacted = "[redacted]"

// newRedactor returns a redactor for the non-empty secrets, in their plain
// and URL-escaped forms, longest first so a URL is replaced before the
// token inside it.
func newRedactor(secrets ...string) redactor {
	seen := map[string]bool{}
	var r redactor
	for _, s := range secrets {
		for _, v := range []string{s, url.PathEscape(s), url.QueryEscape(s)} {
			if v != "" && !seen[v] {
				seen[v] = true
				r = append(r, v)
			}
		}
	}
	sort.Slice(r, func(i, j int) bool { return len(r[i]) > len(r[j]) })
	return r
}

func (r redactor) clean(s string) string {
	for _, v := range r {
		s = strings.ReplaceAll(s, v, redacted)
	}
	return s
}

// contains reports whether s holds any secret.
func (r redactor) contains(s string) bool {
	for _, v := range r {
		if strings.Contains(s, v) {
			return true
		}
	}
	return false
}

// sanitized is an error whose text has been cleaned of secrets and control
// characters. It keeps context cancellation visible to errors.Is.
type sanitized struct {
	msg   string
	cause error // context.Canceled / context.DeadlineExceeded, or nil
}

func (e *sanitized) Error() string { return e.msg }
func (e *sanitized) Unwrap() error { return e.cause }

// cleanError returns err with every secret removed. A *url.Error (which
// names the request URL) gets a redacted URL; anything whose text would
// still hold a secret is replaced by a sanitized copy.
func (r redactor) cleanError(err error, rawURL string) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = &url.Error{Op: ue.Op, URL: redactURL(rawURL), Err: ue.Err}
	}
	if !r.contains(err.Error()) {
		return err
	}
	var cause error
	switch {
	case errors.Is(err, context.Canceled):
		cause = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		cause = context.DeadlineExceeded
	}
	return &sanitized{msg: r.clean(err.Error()), cause: cause}
}

// redactURL keeps scheme, host and the path up to a webhook id; the token
// and everything after it are replaced.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return redacted
	}
	segs := strings.Split(u.EscapedPath(), "/")
	for i, s := range segs {
		if s == "webhooks" && i+2 < len(segs) {
			segs = append(segs[:i+2], redacted)
			break
		}
	}
	return u.Scheme + "://" + u.Host + strings.Join(segs, "/")
}

// discordError is Discord's error body, including the 429 shape.
// https://discord.com/developers/docs/reference#error-messages
type discordError struct {
	Code       int             `json:"code"`
	Message    string          `json:"message"`
	RetryAfter *float64        `json:"retry_after"`
	Global     bool            `json:"global"`
	Errors     json.RawMessage `json:"errors"`
}

// classify turns a non-2xx answer into a SendError. op names the attempt
// ("post message", "edit message").
func classify(op string, status int, h http.Header, body []byte, r redactor) *SendError {
	var de discordError
	jsonBody := json.Unmarshal(body, &de) == nil
	se := &SendError{Status: status, Code: de.Code}
	switch {
	case status == http.StatusTooManyRequests:
		se.Reason, se.Retryable = ReasonRateLimited, true
		if de.RetryAfter != nil && *de.RetryAfter > 0 {
			se.RetryAfter = seconds(*de.RetryAfter)
		} else {
			se.RetryAfter = headerSeconds(h, "Retry-After")
		}
		se.Scope = discordapi.RateLimitScope(h.Get)
		switch {
		case de.Global:
			se.Scope = "global"
		case se.Scope == "":
			se.Scope = "user"
		}
		se.Global = se.Scope == "global"
	case status >= 500 || status == http.StatusRequestTimeout:
		se.Reason, se.Retryable = ReasonServer, true
		se.RetryAfter = headerSeconds(h, "Retry-After")
	case status == http.StatusUnauthorized:
		se.Reason = ReasonUnauthorized
	case status == http.StatusForbidden:
		se.Reason = ReasonForbidden
	case status == http.StatusNotFound:
		se.Reason = ReasonNotFound
	case status == http.StatusRequestEntityTooLarge:
		se.Reason = ReasonTooLarge
	default:
		se.Reason = ReasonBadRequest
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: HTTP %d", op, status)
	if jsonBody {
		if de.Code != 0 {
			fmt.Fprintf(&b, ", code %d", de.Code)
		}
		if m := sanitizeText(de.Message, 200); m != "" {
			b.WriteString(": " + m)
		}
		if details := formErrors(de.Errors, 5); details != "" {
			b.WriteString(" (" + details + ")")
		}
	} else if t := http.StatusText(status); t != "" {
		b.WriteString(" " + t)
	}
	if se.RetryAfter > 0 {
		fmt.Fprintf(&b, ", retry after %s", se.RetryAfter)
	}
	se.Err = &sanitized{msg: r.clean(b.String())}
	return se
}

// transportError wraps an error from the HTTP client (no answer).
func transportError(op, rawURL string, err error, r redactor) *SendError {
	return &SendError{Retryable: true, Reason: ReasonTransport, Err: fmt.Errorf("%s: %w", op, r.cleanError(err, rawURL))}
}

// sanitizeText drops control and format characters (bidi overrides among
// them), collapses whitespace and cuts s to limit code points, so Discord's
// error text is safe to log.
func sanitizeText(s string, limit int) string {
	var b strings.Builder
	n := 0
	space := false
	for _, c := range s {
		if c == utf8.RuneError || unicode.Is(unicode.Cc, c) || unicode.Is(unicode.Cf, c) {
			if unicode.IsSpace(c) {
				space = true
			}
			continue
		}
		if unicode.IsSpace(c) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
			n++
		}
		space = false
		if n >= limit {
			b.WriteString("…")
			break
		}
		b.WriteRune(c)
		n++
	}
	return b.String()
}

// formErrors flattens a 50035 error tree into "path: message" entries, at
// most limit of them.
func formErrors(raw json.RawMessage, limit int) string {
	if len(raw) == 0 {
		return ""
	}
	var tree any
	if json.Unmarshal(raw, &tree) != nil {
		return ""
	}
	var out []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		m, ok := v.(map[string]any)
		if !ok || len(out) >= limit {
			return
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == "_errors" {
				list, _ := m[k].([]any) // a malformed list is skipped
				for _, e := range list {
					em, _ := e.(map[string]any) // a malformed entry reads as empty
					msg, _ := em["message"].(string)
					if len(out) < limit {
						out = append(out, sanitizeText(path+": "+msg, 120))
					}
				}
				continue
			}
			p := k
			if path != "" {
				p = path + "." + k
			}
			walk(p, m[k])
		}
	}
	walk("", tree)
	return strings.Join(out, "; ")
}

// seconds converts float seconds to a Duration, rounding up to the
// millisecond so a positive value never becomes zero.
func seconds(v float64) time.Duration {
	if v <= 0 {
		return 0
	}
	d := time.Duration(v * float64(time.Second))
	if r := d % time.Millisecond; r != 0 {
		d += time.Millisecond - r
	}
	return d
}

// headerSeconds reads a header holding (possibly fractional) seconds.
func headerSeconds(h http.Header, key string) time.Duration {
	v := strings.TrimSpace(h.Get(key))
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		return 0
	}
	return seconds(f)
}
