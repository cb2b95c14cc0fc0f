package bot

import (
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/nexusmon/nexusmon/internal/discordapi"
	"github.com/nexusmon/nexusmon/internal/names"
)

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
	rt := discordapi.ParseRoute(req.Method, req.URL.Path)
	route, interactionID := rt.Template, rt.Interaction
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
		scope := discordapi.RateLimitScope(resp.Header.Get)
		if scope == "" {
			scope = "unknown" // neither header: a Cloudflare 429, for instance
		}
		t.in.rateLimits.Add(ctx, 1, metric.WithAttributes(routeKV, attribute.String(names.AttrRateLimitScope, scope)))
		if scope != "shared" {
			t.in.invalid.Add(start)
		}
	case http.StatusUnauthorized, http.StatusForbidden:
		t.in.invalid.Add(start)
	}
	if interactionID != "" {
		// Discord answered, so the response attempt counts even when it
		// was refused (10062: the deadline was already missed).
		t.in.firstResponse(ctx, interactionID, start)
	}
	return resp, nil
}

// Route returns the route template of a Discord REST request, the value of
// discord.rest.route: discordapi.Template, for example
// "POST /channels/{id}/messages". The result never contains a token, and
// its cardinality is bounded by Discord's route table.
func Route(method, path string) string { return discordapi.Template(method, path) }
