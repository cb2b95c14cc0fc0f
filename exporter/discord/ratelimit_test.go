package discord

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestRouteKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, path, want string
	}{
		{"POST", "/api/v9/channels/1100000000000000010/messages", routeChannelPost},
		{"PATCH", "/api/v9/channels/1100000000000000010/messages/1300000000000000000", routeChannelEdit},
		{"POST", "/api/v10/webhooks/1300000000000000001/AbC-tok_en", routeWebhookPost},
		{"PATCH", "/proxy/api/webhooks/1300000000000000001/AbC-tok_en/messages/1300000000000000002", routeWebhookEdit},
		{"PATCH", "/api/v9/webhooks/1/tok/messages/@original", routeWebhookEdit},
		{"GET", "/api/v9/gateway", "GET /gateway"},
		{"GET", "/nothing/known", "GET /"},
	}
	for _, tc := range tests {
		if got := routeKey(tc.method, tc.path); got != tc.want {
			t.Errorf("routeKey(%s %s) = %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

// dlvManualClock is a clock tests move by hand.
type dlvManualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *dlvManualClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *dlvManualClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func dlvRLHeader(remaining int, resetAfter, bucket string) http.Header {
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "5")
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	if resetAfter != "" {
		h.Set("X-RateLimit-Reset-After", resetAfter)
	}
	if bucket != "" {
		h.Set("X-RateLimit-Bucket", bucket)
	}
	return h
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	clock := &dlvManualClock{t: time.Unix(1_800_000_000, 0)}
	rl := newRateLimits(clock.now)

	if d := rl.delay(routeChannelPost); d != 0 {
		t.Fatalf("unknown bucket: delay %v, want 0", d)
	}
	rl.update(routeChannelPost, 200, dlvRLHeader(1, "2", "b1"), 0, false)
	if d := rl.delay(routeChannelPost); d != 0 {
		t.Errorf("remaining 1: delay %v, want 0", d)
	}
	rl.take(routeChannelPost) // one in flight spends the last one
	if d := rl.delay(routeChannelPost); d != 2*time.Second+rateLimitMargin {
		t.Errorf("after take: delay %v, want the reset (2s + margin)", d)
	}
	rl.update(routeChannelPost, 200, dlvRLHeader(0, "1.5", "b1"), 0, false)
	if d := rl.delay(routeChannelPost); d != 1500*time.Millisecond+rateLimitMargin {
		t.Errorf("remaining 0, reset-after 1.5: delay %v", d)
	}
	// A route that the headers say shares bucket b1 waits too.
	rl.update(routeChannelEdit, 200, dlvRLHeader(0, "1.5", "b1"), 0, false)
	if d := rl.delay(routeChannelEdit); d == 0 {
		t.Error("route sharing an exhausted bucket: delay 0")
	}
	clock.add(1600 * time.Millisecond)
	if d := rl.delay(routeChannelPost); d != 0 {
		t.Errorf("after the reset: delay %v, want 0", d)
	}

	// A global 429 holds every route.
	rl.update(routeChannelPost, 429, http.Header{}, 3*time.Second, true)
	if d := rl.delay(routeWebhookPost); d != 3*time.Second {
		t.Errorf("global 429: other route delay %v, want 3s", d)
	}
	clock.add(3 * time.Second)

	// A route 429 without headers: not before retry_after.
	rl.update(routeWebhookEdit, 429, http.Header{}, 700*time.Millisecond, false)
	if d := rl.delay(routeWebhookEdit); d != 700*time.Millisecond+rateLimitMargin {
		t.Errorf("route 429: delay %v, want 700ms + margin", d)
	}

	// Absurd resets are capped.
	rl.update(routeWebhookPost, 200, dlvRLHeader(0, "999999", ""), 0, false)
	if d := rl.delay(routeWebhookPost); d > maxRateLimitDelay+rateLimitMargin {
		t.Errorf("huge reset-after: delay %v, want at most %v", d, maxRateLimitDelay)
	}

	// X-RateLimit-Reset (epoch seconds) when Reset-After is missing.
	h := dlvRLHeader(0, "", "")
	h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(clock.now().Add(2*time.Second).UnixNano())/1e9, 'f', 3, 64))
	rl.update(routeChannelPost, 200, h, 0, false)
	if d := rl.delay(routeChannelPost); d < 1900*time.Millisecond || d > 2100*time.Millisecond+rateLimitMargin {
		t.Errorf("reset epoch: delay %v, want about 2s", d)
	}
}
