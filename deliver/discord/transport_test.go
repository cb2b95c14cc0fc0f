package discord

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// dlvPathRecorder is a local server that records the paths and hosts it was
// asked for.
type dlvPathRecorder struct {
	mu    sync.Mutex
	paths []string
}

func (p *dlvPathRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.paths = append(p.paths, r.URL.Path)
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true}`) // the client reads it or not; nothing to do on error
}

func (p *dlvPathRecorder) last() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.paths) == 0 {
		return ""
	}
	return p.paths[len(p.paths)-1]
}

func TestNewRewriteTransport(t *testing.T) {
	t.Parallel()
	rec := &dlvPathRecorder{}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	tr := dlvTransport(t)

	tests := []struct {
		name, apiURL, reqURL, wantPath string
	}{
		{"plain base", srv.URL, "https://discord.com/api/v9/channels/1/messages", "/api/v9/channels/1/messages"},
		{"trailing slash", srv.URL + "/", "https://discord.com/api/v9/gateway", "/api/v9/gateway"},
		{"path prefix", srv.URL + "/proxy", "https://discord.com/api/v9/channels/1/messages", "/proxy/api/v9/channels/1/messages"},
		{"nested prefix", srv.URL + "/a/b/", "https://discord.com/api/v9/gateway", "/a/b/api/v9/gateway"},
		{"api root given", srv.URL + "/api", "https://discord.com/api/v9/gateway", "/api/v9/gateway"},
		{"versioned api root", srv.URL + "/nirn/api/v10", "https://discord.com/api/v9/gateway", "/nirn/api/v9/gateway"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt, err := NewRewriteTransport(tc.apiURL, tr)
			if err != nil {
				t.Fatalf("NewRewriteTransport: %v", err)
			}
			resp, err := (&http.Client{Transport: rt}).Get(tc.reqURL)
			if err != nil {
				t.Fatalf("GET: %v", err)
			}
			_ = resp.Body.Close() // nothing to read
			if got := rec.last(); got != tc.wantPath {
				t.Errorf("server saw %q, want %q", got, tc.wantPath)
			}
		})
	}

	// Other hosts pass through unchanged: point the request at the server
	// itself under a name that is not discord.com.
	rt, err := NewRewriteTransport("http://127.0.0.1:1/elsewhere", tr)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: rt}).Get(srv.URL + "/cdn/file.png")
	if err != nil {
		t.Fatalf("GET other host: %v", err)
	}
	_ = resp.Body.Close() // nothing to read
	if got := rec.last(); got != "/cdn/file.png" {
		t.Errorf("other host: server saw %q, want /cdn/file.png untouched", got)
	}
}

func TestNewRewriteTransport_Identity(t *testing.T) {
	t.Parallel()
	base := &http.Transport{}
	for _, u := range []string{"", "https://discord.com", "https://discord.com/", "https://discord.com/api"} {
		rt, err := NewRewriteTransport(u, base)
		if err != nil || rt != http.RoundTripper(base) {
			t.Errorf("NewRewriteTransport(%q) = %T, %v; want the base itself", u, rt, err)
		}
	}
	if rt, err := NewRewriteTransport("", nil); err != nil || rt != http.DefaultTransport {
		t.Errorf("nil base = %T, %v; want http.DefaultTransport", rt, err)
	}
}

func TestNewRewriteTransport_Invalid(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"ftp://x", "127.0.0.1:8080", "http://", "http://user:secret-pw@host", "http://h/?q=1", "://bad"} {
		_, err := NewRewriteTransport(u, nil)
		if err == nil {
			t.Errorf("NewRewriteTransport(%q) succeeded", u)
			continue
		}
		if strings.Contains(err.Error(), "secret-pw") {
			t.Errorf("error %q repeats the URL's password", err)
		}
	}
}

// TestRESTClient_RateLimitHeaders: the answer's rate-limit headers update
// the limits under the request's bucket key, and the body comes back whole.
func TestRESTClient_RateLimitHeaders(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Limit", "5")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset-After", "2.5")
		w.Header().Set("X-RateLimit-Bucket", "abc")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"1"}`) // the test fails on a short body
	}))
	t.Cleanup(srv.Close)
	lim := newRateLimits(nil)
	rc := &restClient{hc: &http.Client{Transport: dlvTransport(t)}, lim: lim, log: slog.New(slog.DiscardHandler)}
	body, err := rc.do(context.Background(), restCall{op: "post message", method: http.MethodPost,
		url: srv.URL + "/api/v9/channels/1100000000000000010/messages", body: struct{}{}})
	if err != nil || string(body) != `{"id":"1"}` {
		t.Fatalf("body = %q, %v: the caller must get the whole body", body, err)
	}
	if d := lim.delay(keyChannelPost); d < 2*1e9 || d > 3*1e9 {
		t.Errorf("delay after remaining 0, reset-after 2.5 = %v, want about 2.5s", d)
	}
}
