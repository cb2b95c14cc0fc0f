package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

func TestSanitize(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in, want string
	}{
		"plain":    {"database is down", "database is down"},
		"mentions": {"@everyone <@123> hi", "@everyone <@123> hi"},
		"bot token": {
			"auth failed for " + testBotSecret + " today",
			"auth failed for [token] today",
		},
		"authorization header": {
			"header Authorization: Bot abcdefgh.ijklmnop rejected",
			"header Authorization: [redacted] rejected",
		},
		"bearer credentials": {
			"sent Bearer abcdefghijklmnopqrstuvwxyz0123 upstream",
			"sent Bearer [redacted] upstream",
		},
		"the word bot": {"the bot responded slowly to Bot owner", "the bot responded slowly to Bot owner"},
		"webhook url": {
			"post https://discord.com/api/webhooks/123456789012345678/Ab-cd_EF?wait=true: 404",
			"post https://discord.com/api/webhooks/123456789012345678/[token]?wait=true: 404",
		},
		"interaction callback": {
			`Post "https://discord.com/api/v9/interactions/1300000000000000001/shorttok/callback": EOF`,
			`Post "https://discord.com/api/v9/interactions/1300000000000000001/[token]/callback": EOF`,
		},
		"url userinfo": {
			"dial https://user:hunter2@example.com/x failed",
			"dial https://[redacted]@example.com/x failed",
		},
		"query secrets": {
			"GET /health?api_key=abc123&x=1&token=zzz",
			"GET /health?api_key=[redacted]&x=1&token=[redacted]",
		},
		"long opaque string": {
			"session " + strings.Repeat("a1", 25) + " expired",
			"session [redacted] expired",
		},
		"long word is kept": {
			"identifier " + strings.Repeat("abc", 20),
			"identifier " + strings.Repeat("abc", 20),
		},
		"control characters": {"line1\nline2\ttab\x00nul\x1b[0m", "line1 line2 tab nul [0m"},
		"bidi override":      {"abc\u202edef", "abcdef"},
		"invalid utf-8":      {"ok\xffok", "okok"},
		"trimmed":            {"  \n padded \n", "padded"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := Sanitize(tc.in); got != tc.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSanitize_Bounded(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"long ascii":                 strings.Repeat("x ", 2000),
		"long multibyte":             strings.Repeat("é", 700),
		"huge with token near 16KiB": strings.Repeat("word ", 3276) + testBotSecret + strings.Repeat(" y", 5000),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := Sanitize(in)
			if n := utf8.RuneCountInString(got); n != MaxMessageRunes {
				t.Errorf("got %d runes, want %d", n, MaxMessageRunes)
			}
			if !strings.HasSuffix(got, "…") || !utf8.ValidString(got) {
				t.Errorf("cut message %q does not end with an ellipsis", got[len(got)-10:])
			}
			if strings.Contains(got, testBotSecret[:20]) {
				t.Error("token fragment survived")
			}
		})
	}
}

type typedErr struct{}

func (typedErr) Error() string     { return "typed" }
func (typedErr) ErrorType() string { return "custom_type" }

func TestErrorType(t *testing.T) {
	t.Parallel()
	_, pathErr := os.Open("/nonexistent/nexusmon")
	tests := map[string]struct {
		err  error
		want string
	}{
		"nil":              {nil, ""},
		"panic":            {fmt.Errorf("wrapped: %w", &PanicError{Value: "x"}), ErrorTypePanic},
		"deadline":         {fmt.Errorf("db: %w", context.DeadlineExceeded), ErrorTypeTimeout},
		"canceled":         {context.Canceled, ErrorTypeCanceled},
		"discord code":     {&discordgo.RESTError{Response: &http.Response{StatusCode: 404}, Message: &discordgo.APIErrorMessage{Code: 10062}}, "discord.10062"},
		"http status":      {&discordgo.RESTError{Response: &http.Response{StatusCode: 502}}, "http.502"},
		"rate limit":       {&discordgo.RateLimitError{RateLimit: &discordgo.RateLimit{URL: "https://discord.com/api/v9/x"}}, ErrorTypeRateLimited},
		"ErrorType method": {fmt.Errorf("x: %w", typedErr{}), "custom_type"},
		"go type name":     {pathErr, "*fs.PathError"},
		"errors.New":       {errors.New("x"), "*errors.errorString"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := ErrorType(tc.err); got != tc.want {
				t.Errorf("ErrorType(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

func TestSanitizedError(t *testing.T) {
	t.Parallel()
	inner := &discordgo.RateLimitError{RateLimit: &discordgo.RateLimit{
		URL:             "https://discord.com/api/v9/webhooks/1200000000000000000/" + testToken,
		TooManyRequests: &discordgo.TooManyRequests{RetryAfter: time.Second},
	}}
	err := wrapErr("send followup", inner)
	var rl *discordgo.RateLimitError
	if !errors.As(err, &rl) || rl != inner {
		t.Error("wrapped error lost its chain")
	}
	if strings.Contains(err.Error(), testToken) || !strings.HasPrefix(err.Error(), "send followup: ") {
		t.Errorf("Error() = %q", err.Error())
	}
	if wrapErr("x", nil) != nil {
		t.Error("wrapErr(nil) != nil")
	}
}

// emitted is one call of a Throttle's emit.
type emitted struct {
	id         string
	suppressed int
}

func TestThrottle(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	ev := func(id, cmd, et string) ErrorEvent {
		return ErrorEvent{InteractionID: id, Command: cmd, Module: "m", ErrorType: et}
	}
	type step struct {
		ev     ErrorEvent
		at     time.Duration
		digest *ErrorDigest // expected from Offer
	}
	tests := map[string]struct {
		burst     int
		steps     []step
		wantEmit  []emitted
		flushAt   time.Duration
		wantFlush *ErrorDigest
	}{
		"quiet: every event passes": {
			burst: 2,
			steps: []step{
				{ev: ev("1", "a", "x"), at: 0},
				{ev: ev("2", "a", "x"), at: 30 * time.Second},
				{ev: ev("3", "a", "x"), at: 70 * time.Second},
			},
			wantEmit: []emitted{{"1", 0}, {"2", 0}, {"3", 0}},
			flushAt:  200 * time.Second,
		},
		"storm: burst, then one digest per window": {
			burst: 2,
			steps: []step{
				{ev: ev("1", "a", "x"), at: 0},
				{ev: ev("2", "a", "x"), at: time.Second},
				{ev: ev("3", "a", "x"), at: 2 * time.Second},
				{ev: ev("4", "b", "y"), at: 3 * time.Second},
				{ev: ev("5", "a", "x"), at: 4 * time.Second},
				// Next window: the previous digest comes out, the burst starts over.
				{ev: ev("6", "a", "x"), at: 61 * time.Second, digest: &ErrorDigest{
					Start: t0, End: t0.Add(time.Minute), Suppressed: 3,
					Counts: []DigestCount{{"a", "m", "x", 2}, {"b", "m", "y", 1}},
				}},
				{ev: ev("7", "a", "x"), at: 62 * time.Second},
				{ev: ev("8", "c", "z"), at: 63 * time.Second},
			},
			wantEmit: []emitted{{"1", 0}, {"2", 0}, {"6", 3}, {"7", 3}},
			flushAt:  121 * time.Second,
			wantFlush: &ErrorDigest{
				Start: t0.Add(61 * time.Second), End: t0.Add(121 * time.Second), Suppressed: 1,
				Counts: []DigestCount{{"c", "m", "z", 1}},
			},
		},
		"flush before the window ends returns nothing": {
			burst: 1,
			steps: []step{
				{ev: ev("1", "a", "x"), at: 0},
				{ev: ev("2", "a", "x"), at: time.Second},
			},
			wantEmit: []emitted{{"1", 0}},
			flushAt:  59 * time.Second,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var got []emitted
			th := NewThrottle(time.Minute, tc.burst, func(e ErrorEvent, n int) {
				got = append(got, emitted{e.InteractionID, n})
			})
			for i, st := range tc.steps {
				d := th.Offer(st.ev, t0.Add(st.at))
				if !reflect.DeepEqual(d, st.digest) {
					t.Errorf("step %d: Offer digest = %+v, want %+v", i, d, st.digest)
				}
			}
			if !reflect.DeepEqual(got, tc.wantEmit) {
				t.Errorf("emitted %v, want %v", got, tc.wantEmit)
			}
			if d := th.Flush(t0.Add(tc.flushAt)); !reflect.DeepEqual(d, tc.wantFlush) {
				t.Errorf("Flush = %+v, want %+v", d, tc.wantFlush)
			}
		})
	}
}

func TestThrottle_DigestKeysBounded(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	th := NewThrottle(time.Minute, 1, nil)
	for i := range 200 {
		th.Offer(ErrorEvent{Command: fmt.Sprint("cmd", i), ErrorType: "x"}, t0)
	}
	d := th.Flush(t0.Add(time.Minute))
	if d == nil || d.Suppressed != 199 || len(d.Counts) != maxDigestKeys+1 {
		t.Fatalf("digest = %+v", d)
	}
	if d.Counts[0] != (DigestCount{ErrorType: "other", Count: 199 - maxDigestKeys}) {
		t.Errorf("overflow line = %+v", d.Counts[0])
	}
}
