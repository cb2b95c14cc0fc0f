package discord

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		reason     string
		retryable  bool
		retryAfter time.Duration
		global     bool
		code       int
		text       []string // substrings of Error()
	}{
		{"429 json retry_after", 429, hdr("Retry-After", "3"), `{"message":"You are being rate limited.","retry_after":1.5,"global":false}`,
			ReasonRateLimited, true, 1500 * time.Millisecond, false, 0, []string{"HTTP 429", "retry after 1.5s"}},
		{"429 header only", 429, hdr("Retry-After", "2"), `<html>cloudflare</html>`,
			ReasonRateLimited, true, 2 * time.Second, false, 0, []string{"HTTP 429 Too Many Requests"}},
		{"429 global by body", 429, nil, `{"message":"x","retry_after":0.25,"global":true}`,
			ReasonRateLimited, true, 250 * time.Millisecond, true, 0, nil},
		{"429 global by header", 429, hdr("X-RateLimit-Global", "true", "Retry-After", "1"), `{"message":"x","retry_after":0.5}`,
			ReasonRateLimited, true, 500 * time.Millisecond, true, 0, nil},
		{"500", 500, nil, `{"message":"500: Internal Server Error","code":0}`, ReasonServer, true, 0, false, 0, []string{"HTTP 500"}},
		{"503 retry-after", 503, hdr("Retry-After", "7"), ``, ReasonServer, true, 7 * time.Second, false, 0, []string{"HTTP 503 Service Unavailable"}},
		{"502 html", 502, nil, `<html>bad gateway</html>`, ReasonServer, true, 0, false, 0, nil},
		{"408 proxy timeout", 408, nil, ``, ReasonServer, true, 0, false, 0, nil},
		{"400 form body", 400, nil, `{"code":50035,"message":"Invalid Form Body","errors":{"embeds":{"0":{"title":{"_errors":[{"code":"BASE_TYPE_MAX_LENGTH","message":"Must be 256 or fewer in length."}]}}}}}`,
			ReasonBadRequest, false, 0, false, 50035, []string{"code 50035", "Invalid Form Body", "embeds.0.title: Must be 256 or fewer in length."}},
		{"401", 401, nil, `{"message":"401: Unauthorized","code":0}`, ReasonUnauthorized, false, 0, false, 0, []string{"HTTP 401", "401: Unauthorized"}},
		{"403", 403, nil, `{"message":"Missing Permissions","code":50013}`, ReasonForbidden, false, 0, false, 50013, nil},
		{"404 unknown channel", 404, nil, `{"message":"Unknown Channel","code":10003}`, ReasonNotFound, false, 0, false, 10003, nil},
		{"413", 413, nil, `{"message":"Request entity too large","code":40005}`, ReasonTooLarge, false, 0, false, 40005, nil},
		{"405 other 4xx", 405, nil, `{"message":"405: Method Not Allowed","code":0}`, ReasonBadRequest, false, 0, false, 0, nil},
		{"control characters", 400, nil, "{\"code\":50006,\"message\":\"Cannot\\u202e send\\nan\\u0000 empty message\"}", ReasonBadRequest, false, 0, false, 50006, []string{"Cannot send an empty message"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := tc.header
			if h == nil {
				h = http.Header{}
			}
			se := classify("post message", tc.status, h, []byte(tc.body), nil)
			if se.Status != tc.status || se.Reason != tc.reason || se.Retryable != tc.retryable ||
				se.RetryAfter != tc.retryAfter || se.Global != tc.global || se.Code != tc.code {
				t.Errorf("classify = {status %d reason %s retryable %v after %v global %v code %d}, want {%d %s %v %v %v %d}",
					se.Status, se.Reason, se.Retryable, se.RetryAfter, se.Global, se.Code,
					tc.status, tc.reason, tc.retryable, tc.retryAfter, tc.global, tc.code)
			}
			for _, want := range tc.text {
				if !strings.Contains(se.Error(), want) {
					t.Errorf("Error() = %q, want it to contain %q", se.Error(), want)
				}
			}
			if strings.ContainsAny(se.Error(), "\n\x00\u202e") {
				t.Errorf("Error() = %q holds control characters", se.Error())
			}
		})
	}
}

func TestClassify_Scope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header http.Header
		body   string
		want   string
	}{
		{http.Header{"X-Ratelimit-Scope": {"shared"}}, `{"retry_after":1}`, "shared"},
		{http.Header{"X-Ratelimit-Scope": {"user"}}, `{"retry_after":1}`, "user"},
		{http.Header{}, `{"retry_after":1,"global":true}`, "global"},
		{http.Header{}, `{"retry_after":1}`, "user"},
	}
	for _, tc := range tests {
		if got := classify("post message", 429, tc.header, []byte(tc.body), nil).Scope; got != tc.want {
			t.Errorf("scope of %v %s = %q, want %q", tc.header, tc.body, got, tc.want)
		}
	}
}

func TestIsUnknownMessage(t *testing.T) {
	t.Parallel()
	unknown := classify("edit message", 404, http.Header{}, []byte(`{"message":"Unknown Message","code":10008}`), nil)
	channel := classify("edit message", 404, http.Header{}, []byte(`{"message":"Unknown Channel","code":10003}`), nil)
	bare := classify("edit message", 404, http.Header{}, []byte(`not json`), nil)
	bare.edit = true
	barePost := classify("post message", 404, http.Header{}, []byte(`not json`), nil)
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"10008", unknown, true},
		{"wrapped 10008", fmt.Errorf("deliver: %w", unknown), true},
		{"unknown channel", channel, false},
		{"404 without code on an edit", bare, true},
		{"404 without code on a post", barePost, false},
		{"500", classify("edit message", 500, http.Header{}, nil, nil), false},
		{"not a SendError", errors.New("404 10008"), false},
		{"nil", nil, false},
	}
	for _, tc := range tests {
		if got := IsUnknownMessage(tc.err); got != tc.want {
			t.Errorf("%s: IsUnknownMessage = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRedactor(t *testing.T) {
	t.Parallel()
	const (
		tok = "abc.DEF_ghi-123/+="
		raw = "https://discord.com/api/webhooks/1300000000000000001/" + tok
	)
	r := newRedactor(raw, tok, "")
	in := "Post " + raw + " and " + url.PathEscape(tok) + " and " + url.QueryEscape(tok) + " and " + tok
	out := r.clean(in)
	if strings.Contains(out, tok) || strings.Contains(out, url.QueryEscape(tok)) || strings.Contains(out, url.PathEscape(tok)) {
		t.Errorf("clean(%q) = %q, want every form of the token removed", in, out)
	}
	if !strings.Contains(out, "Post "+redacted) {
		t.Errorf("clean = %q, want the URL replaced as a whole", out)
	}
	if r.clean("nothing secret") != "nothing secret" {
		t.Error("clean changed a text without secrets")
	}
}

func TestRedactor_CleanError(t *testing.T) {
	t.Parallel()
	const raw = "http://127.0.0.1:1/api/v10/webhooks/1300000000000000001/tok-SECRET"
	r := newRedactor(raw, "tok-SECRET")
	ue := &url.Error{Op: "Post", URL: raw + "?wait=true", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	got := r.cleanError(ue, raw+"?wait=true")
	if strings.Contains(got.Error(), "tok-SECRET") {
		t.Errorf("cleanError = %q, want the token redacted", got)
	}
	var gotURL *url.Error
	if !errors.As(got, &gotURL) || !strings.Contains(gotURL.URL, "/webhooks/1300000000000000001/"+redacted) {
		t.Errorf("cleanError = %#v, want a *url.Error with the redacted URL", got)
	}
	var op *net.OpError
	if !errors.As(got, &op) {
		t.Error("cleanError lost the network error underneath")
	}

	// An error that is not a *url.Error but names the secret is replaced,
	// keeping context cancellation visible.
	leaky := fmt.Errorf("request to %s: %w", raw, context.DeadlineExceeded)
	got = r.cleanError(leaky, raw)
	if strings.Contains(got.Error(), "tok-SECRET") || !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("cleanError = %q (deadline %v), want it redacted and still a deadline error", got, errors.Is(got, context.DeadlineExceeded))
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"https://discord.com/api/webhooks/1/tok":                   "https://discord.com/api/webhooks/1/" + redacted,
		"https://discord.com/api/webhooks/1/tok/messages/2?x=1":    "https://discord.com/api/webhooks/1/" + redacted,
		"http://proxy:8080/p/api/v10/webhooks/12/t0k?wait=true":    "http://proxy:8080/p/api/v10/webhooks/12/" + redacted,
		"https://discord.com/api/v9/channels/1/messages?wait=true": "https://discord.com/api/v9/channels/1/messages",
		"::not a url": redacted,
	}
	for in, want := range tests {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSanitizeText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"plain", 10, "plain"},
		{"  a \n\t b  ", 10, "a b"},
		{"bidi\u202eover\u200bride", 20, "bidioverride"},
		{"nul\x00byte", 20, "nulbyte"},
		{"abcdef", 3, "abc…"},
		{"bad \xff utf8", 20, "bad utf8"},
	}
	for _, tc := range tests {
		if got := sanitizeText(tc.in, tc.limit); got != tc.want {
			t.Errorf("sanitizeText(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}

func TestFormErrors(t *testing.T) {
	t.Parallel()
	raw := []byte(`{"embeds":{"0":{"title":{"_errors":[{"code":"A","message":"too long"}]},"fields":{"1":{"value":{"_errors":[{"code":"B","message":"required"}]}}}}},"content":{"_errors":[{"code":"C","message":"bad"}]}}`)
	if got, want := formErrors(raw, 5), "content: bad; embeds.0.fields.1.value: required; embeds.0.title: too long"; got != want {
		t.Errorf("formErrors = %q, want %q", got, want)
	}
	if got := formErrors(raw, 1); got != "content: bad" {
		t.Errorf("formErrors(limit 1) = %q", got)
	}
	if got := formErrors([]byte(`[1,2]`), 5); got != "" {
		t.Errorf("formErrors(non-object) = %q, want empty", got)
	}
}

func TestSeconds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   float64
		want time.Duration
	}{{0, 0}, {-1, 0}, {1.5, 1500 * time.Millisecond}, {0.0001, time.Millisecond}, {0.3, 300 * time.Millisecond}}
	for _, tc := range tests {
		if got := seconds(tc.in); got != tc.want {
			t.Errorf("seconds(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
