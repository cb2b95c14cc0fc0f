package bot

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/nexusmon/nexusmon/internal/names"
)

// callbackRoute is the route of the initial interaction response.
const callbackRoute = "POST /interactions/{id}/{token}/callback"

// transport measures Discord REST calls; see NewTransport.
type transport struct {
	base http.RoundTripper
	in   *Instruments
}

// NewTransport returns a RoundTripper for a discordgo Session's
// http.Client that measures every REST call on in's instruments:
// discord.rest.request.duration by route template and status code (or
// error.type when no response arrived), discord.rest.rate_limits on every
// 429 by route and X-RateLimit-Scope, and the 401/403/429 count behind
// discord.rest.invalid_requests (429s with scope "shared" excluded, as
// Discord does). It also notices POST /interactions/{id}/{token}/callback
// to record the first response of interactions the middleware started,
// however the bot sent it. Routes never contain the raw path: IDs become
// {id} and webhook and interaction tokens {token}. A nil base means
// http.DefaultTransport; a nil in measures nothing.
func NewTransport(base http.RoundTripper, in *Instruments) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if in == nil {
		in = noopInstruments()
	}
	return &transport{base: base, in: in}
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	route, interactionID := routeOf(req.Method, req.URL.Path)
	start := t.in.now()
	resp, err := t.base.RoundTrip(req)
	elapsed := t.in.now().Sub(start)
	ctx := req.Context()
	routeKV := attribute.String(names.AttrRoute, route)
	if err != nil {
		t.in.restDuration.Record(ctx, elapsed.Seconds(), metric.WithAttributes(routeKV,
			attribute.String(names.AttrErrorType, ErrorType(err))))
		return resp, err
	}
	status := resp.StatusCode
	t.in.restDuration.Record(ctx, elapsed.Seconds(), metric.WithAttributes(routeKV,
		attribute.Int(names.AttrStatusCode, status)))
	switch status {
	case http.StatusTooManyRequests:
		scope := rateLimitScope(resp.Header)
		t.in.rateLimits.Add(ctx, 1, metric.WithAttributes(routeKV, attribute.String(names.AttrRateLimitScope, scope)))
		if scope != "shared" {
			t.in.invalid.add(start)
		}
	case http.StatusUnauthorized, http.StatusForbidden:
		t.in.invalid.add(start)
	}
	if interactionID != "" {
		// Discord answered, so the response attempt counts even when it
		// was refused (10062: the deadline was already missed).
		t.in.firstResponse(ctx, interactionID, start)
	}
	return resp, nil
}

// rateLimitScope returns X-RateLimit-Scope (user, global, shared), falling
// back to "global" when only X-RateLimit-Global is set and "unknown" when
// neither is (a Cloudflare 429, for instance).
func rateLimitScope(h http.Header) string {
	switch s := strings.ToLower(h.Get("X-RateLimit-Scope")); s {
	case "user", "global", "shared":
		return s
	}
	if strings.EqualFold(h.Get("X-RateLimit-Global"), "true") {
		return "global"
	}
	return "unknown"
}

// Route returns the route template of a Discord REST request, the value of
// discord.rest.route: the method, a space and the path after /api/vN with
// snowflakes replaced by {id}, webhook and interaction tokens by {token},
// reaction emoji by {emoji}, invite and template codes by {code}, and any
// other segment that is not a plain lowercase word by {param}; for example
// "POST /channels/{id}/messages". The result never contains a token, and
// its cardinality is bounded by Discord's route table.
func Route(method, path string) string {
	r, _ := routeOf(method, path)
	return r
}

// routeOf is Route that also returns the interaction id of an initial
// response callback.
func routeOf(method, path string) (route, interactionID string) {
	p := strings.TrimPrefix(path, "/api")
	if len(p) != len(path) && strings.HasPrefix(p, "/v") {
		rest := p[2:]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j > 0 && (j == len(rest) || rest[j] == '/') {
			p = rest[j:]
		}
	}
	segs := strings.Split(strings.Trim(p, "/"), "/")
	var b strings.Builder
	b.Grow(len(method) + len(p) + 16)
	b.WriteString(strings.ToUpper(method))
	b.WriteByte(' ')
	if len(segs) == 1 && segs[0] == "" {
		b.WriteByte('/')
	}
	var id string
	for i, s := range segs {
		if s == "" && i == 0 {
			continue
		}
		b.WriteByte('/')
		prev2 := ""
		if i >= 2 {
			prev2 = segs[i-2]
		}
		switch {
		case i >= 2 && (prev2 == "webhooks" || prev2 == "interactions") && isSnowflake(segs[i-1]):
			b.WriteString("{token}")
		case i >= 1 && segs[i-1] == "reactions":
			b.WriteString("{emoji}")
		case i >= 1 && (segs[i-1] == "invites" || segs[i-1] == "templates"):
			b.WriteString("{code}")
		case isSnowflake(s):
			b.WriteString("{id}")
			if i == 1 && segs[0] == "interactions" {
				id = s
			}
		case isWord(s):
			b.WriteString(s)
		default:
			b.WriteString("{param}")
		}
	}
	route = b.String()
	if route != callbackRoute {
		id = ""
	}
	return route, id
}

func isSnowflake(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isWord reports whether s is a fixed route word such as "messages",
// "@me", "@original" or "audit-logs".
func isWord(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c == '-', c == '_':
		case c >= '0' && c <= '9' && i > 0: // "oauth2"
		case c == '@' && i == 0:
		default:
			return false
		}
	}
	return true
}
