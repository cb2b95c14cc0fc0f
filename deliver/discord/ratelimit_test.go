package discord

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

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

// Bucket keys of the rate-limit tests: any distinct strings do.
const (
	keyChannelPost = "POST /channels/1100000000000000010/messages"
	keyChannelEdit = "PATCH /channels/1100000000000000010/messages/{id}"
	keyWebhookPost = "POST /webhooks/1300000000000000001/{token}"
	keyWebhookEdit = "PATCH /webhooks/1300000000000000001/{token}/messages/{id}"
)

func TestRateLimits(t *testing.T) {
	t.Parallel()
	clock := &dlvManualClock{t: time.Unix(1_800_000_000, 0)}
	rl := newRateLimits(clock.now)

	if d := rl.delay(keyChannelPost); d != 0 {
		t.Fatalf("unknown bucket: delay %v, want 0", d)
	}
	rl.update(keyChannelPost, 200, dlvRLHeader(1, "2", "b1"), 0, false)
	if d := rl.delay(keyChannelPost); d != 0 {
		t.Errorf("remaining 1: delay %v, want 0", d)
	}
	rl.take(keyChannelPost) // one in flight spends the last one
	if d := rl.delay(keyChannelPost); d != 2*time.Second+rateLimitMargin {
		t.Errorf("after take: delay %v, want the reset (2s + margin)", d)
	}
	rl.update(keyChannelPost, 200, dlvRLHeader(0, "1.5", "b1"), 0, false)
	if d := rl.delay(keyChannelPost); d != 1500*time.Millisecond+rateLimitMargin {
		t.Errorf("remaining 0, reset-after 1.5: delay %v", d)
	}
	// A route that the headers say shares bucket b1 waits too.
	rl.update(keyChannelEdit, 200, dlvRLHeader(0, "1.5", "b1"), 0, false)
	if d := rl.delay(keyChannelEdit); d == 0 {
		t.Error("route sharing an exhausted bucket: delay 0")
	}
	clock.add(1600 * time.Millisecond)
	if d := rl.delay(keyChannelPost); d != 0 {
		t.Errorf("after the reset: delay %v, want 0", d)
	}

	// A global 429 holds every route.
	rl.update(keyChannelPost, 429, http.Header{}, 3*time.Second, true)
	if d := rl.delay(keyWebhookPost); d != 3*time.Second {
		t.Errorf("global 429: other route delay %v, want 3s", d)
	}
	clock.add(3 * time.Second)

	// A route 429 without headers: not before retry_after.
	rl.update(keyWebhookEdit, 429, http.Header{}, 700*time.Millisecond, false)
	if d := rl.delay(keyWebhookEdit); d != 700*time.Millisecond+rateLimitMargin {
		t.Errorf("route 429: delay %v, want 700ms + margin", d)
	}

	// Absurd resets are capped.
	rl.update(keyWebhookPost, 200, dlvRLHeader(0, "999999", ""), 0, false)
	if d := rl.delay(keyWebhookPost); d > maxRateLimitDelay+rateLimitMargin {
		t.Errorf("huge reset-after: delay %v, want at most %v", d, maxRateLimitDelay)
	}

	// X-RateLimit-Reset (epoch seconds) when Reset-After is missing.
	h := dlvRLHeader(0, "", "")
	h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(clock.now().Add(2*time.Second).UnixNano())/1e9, 'f', 3, 64))
	rl.update(keyChannelPost, 200, h, 0, false)
	if d := rl.delay(keyChannelPost); d < 1900*time.Millisecond || d > 2100*time.Millisecond+rateLimitMargin {
		t.Errorf("reset epoch: delay %v, want about 2s", d)
	}
}
