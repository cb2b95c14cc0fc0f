package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/nexusmon/nexusmon/internal/discordapi"
	"github.com/nexusmon/nexusmon/internal/names"
)

func TestRoute(t *testing.T) {
	t.Parallel()
	// The rules are discordapi's (tested there); these are the routes the
	// metrics see most, and the token cases.
	tests := []struct {
		method, path, want string
	}{
		{"POST", "/api/v9/channels/1100000000000000010/messages", "POST /channels/{id}/messages"},
		{"POST", "/api/v9/interactions/1300000000000000001/" + testToken + "/callback", discordapi.RouteInteractionCallback},
		{"POST", "/api/v9/webhooks/1200000000000000000/" + testToken, "POST /webhooks/{id}/{token}"},
		{"PATCH", "/api/v9/webhooks/1200000000000000000/" + testToken + "/messages/@original", "PATCH /webhooks/{id}/{token}/messages/@original"},
		{"PUT", "/api/v9/applications/1200000000000000000/guilds/1100000000000000000/commands", "PUT /applications/{id}/guilds/{id}/commands"},
		// The segment after a webhook or interaction id is a token even
		// when the id is malformed or the token happens to look like a word.
		{"POST", "/api/v9/webhooks/notanid/lowercasetoken", "POST /webhooks/notanid/{token}"},
		{"POST", "/api/v9/interactions/x/abcdef/callback", "POST /interactions/x/{token}/callback"},
	}
	for _, tc := range tests {
		if got := Route(tc.method, tc.path); got != tc.want {
			t.Errorf("Route(%q, %q) = %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

func gauge(rm metricdata.ResourceMetrics, name string) (int64, bool) {
	m, ok := findMetric(rm, name)
	if !ok {
		return 0, false
	}
	g, ok := m.Data.(metricdata.Gauge[int64])
	if !ok || len(g.DataPoints) != 1 {
		return 0, false
	}
	return g.DataPoints[0].Value, true
}

func TestTransport_RateLimitsAndInvalidRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t, InstrumentOptions{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Query().Get("case") {
		case "user", "shared", "global":
			w.Header().Set("X-RateLimit-Scope", r.URL.Query().Get("case"))
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"message":"You are being rate limited.","retry_after":0.5,"global":false}`)
		case "global-header":
			w.Header().Set("X-RateLimit-Global", "true")
			w.WriteHeader(http.StatusTooManyRequests)
		case "cloudflare":
			w.WriteHeader(http.StatusTooManyRequests)
		case "401":
			w.WriteHeader(http.StatusUnauthorized)
		case "403":
			w.WriteHeader(http.StatusForbidden)
		case "404":
			w.WriteHeader(http.StatusNotFound)
		default:
			_, _ = io.WriteString(w, `{}`)
		}
	}))
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: NewTransport(nil, h.in)}
	cases := []string{"user", "user", "shared", "global", "global-header", "cloudflare", "401", "403", "404", "ok"}
	for i, c := range cases {
		resp, err := client.Get(fmt.Sprintf("%s/api/v9/channels/%d/messages?case=%s", srv.URL, 1100000000000000010+i, c))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	client.CloseIdleConnections()

	rm := h.collect(t)
	route := attribute.String(names.AttrRoute, "GET /channels/{id}/messages")
	scope := func(s string) attribute.KeyValue { return attribute.String(names.AttrRateLimitScope, s) }
	for s, want := range map[string]int64{"user": 2, "shared": 1, "global": 2, "unknown": 1} {
		if got := counter(rm, names.DiscordRateLimits, route, scope(s)); got != want {
			t.Errorf("%s{scope=%s} = %d, want %d", names.DiscordRateLimits, s, got, want)
		}
	}
	for status, want := range map[int]uint64{429: 6, 401: 1, 403: 1, 404: 1, 200: 1} {
		if p, ok := histogram(rm, names.DiscordRESTDuration, route, attribute.Int(names.AttrStatusCode, status)); !ok || p.Count != want {
			t.Errorf("%s{status=%d} count = %d (%v), want %d", names.DiscordRESTDuration, status, p.Count, ok, want)
		}
	}
	// 429s except the shared one, plus 401 and 403.
	if v, ok := gauge(rm, names.DiscordInvalidRequests); !ok || v != 7 {
		t.Errorf("%s = %d (%v), want 7", names.DiscordInvalidRequests, v, ok)
	}
	h.clock.Advance(InvalidRequestWindow - time.Second)
	if v, _ := gauge(h.collect(t), names.DiscordInvalidRequests); v != 7 {
		t.Errorf("just inside the window: %d, want 7", v)
	}
	h.clock.Advance(time.Second)
	if v, ok := gauge(h.collect(t), names.DiscordInvalidRequests); !ok || v != 0 {
		t.Errorf("after the window: %d (%v), want 0", v, ok)
	}
}

type failingTransport struct{ err error }

func (f failingTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, f.err }

func TestTransport_Error(t *testing.T) {
	t.Parallel()
	h := newHarness(t, InstrumentOptions{})
	rt := NewTransport(failingTransport{fmt.Errorf("dial: %w", context.DeadlineExceeded)}, h.in)
	req, err := http.NewRequest(http.MethodPost, "https://discord.com/api/v9/webhooks/1200000000000000000/"+testToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.RoundTrip(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RoundTrip error = %v, want the base error unchanged", err)
	}
	rm := h.collect(t)
	if p, ok := histogram(rm, names.DiscordRESTDuration,
		attribute.String(names.AttrRoute, "POST /webhooks/{id}/{token}"),
		attribute.String(names.AttrErrorType, ErrorTypeTimeout)); !ok || p.Count != 1 {
		t.Errorf("duration with error.type = %+v (%v)", p, ok)
	}
}

func TestTransport_CallbackWithoutMiddleware(t *testing.T) {
	t.Parallel()
	// A callback for an interaction the middleware did not start is
	// measured as a REST call but records no first response.
	h := newHarness(t, InstrumentOptions{})
	f := newFakeDiscord(t)
	s := f.session(t, h.in)
	i := newInteraction("1300000000000000077", "ping")
	if err := s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}); err != nil {
		t.Fatal(err)
	}
	rm := h.collect(t)
	if _, ok := findMetric(rm, names.CommandFirstResponse); ok {
		t.Error("first response recorded for an untracked interaction")
	}
	if p, ok := histogram(rm, names.DiscordRESTDuration, attribute.String(names.AttrRoute, discordapi.RouteInteractionCallback),
		attribute.Int(names.AttrStatusCode, 204)); !ok || p.Count != 1 {
		t.Errorf("callback REST duration = %+v (%v)", p, ok)
	}
}
