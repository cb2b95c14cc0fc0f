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

	"github.com/bwmarrin/discordgo"
)

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

// NewThrottle emits the burst and counts the rest of the ErrorEvents by
// command, module and error type (the throttling itself is tested in
// package throttle).
func TestNewThrottle(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	var got []string
	th := NewThrottle(time.Minute, 1, func(ev ErrorEvent, n int) { got = append(got, fmt.Sprint(ev.InteractionID, n)) })
	th.Offer(ErrorEvent{InteractionID: "1", Command: "a", Module: "m", ErrorType: "x"}, t0)
	th.Offer(ErrorEvent{InteractionID: "2", Command: "b", Module: "n", ErrorType: "y"}, t0.Add(time.Second))
	d := th.Offer(ErrorEvent{InteractionID: "3", Command: "a", Module: "m", ErrorType: "x"}, t0.Add(time.Minute))
	want := &ErrorDigest{Start: t0, End: t0.Add(time.Minute), Suppressed: 1,
		Counts: []DigestCount{{Command: "b", Module: "n", ErrorType: "y", Count: 1}}}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("digest = %+v, want %+v", d, want)
	}
	if fmt.Sprint(got) != "[10 31]" {
		t.Errorf("emitted %v, want 1 and 3 (with 1 suppressed)", got)
	}
}
