package discord

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Bounds of the waits the rate-limit headers ask for.
const (
	rateLimitMargin   = 20 * time.Millisecond // added to a reset: Discord rounds, the network delays
	maxRateLimitDelay = 15 * time.Minute      // a header promising longer is not believed
)

// bucketState is what the headers last said about one bucket.
type bucketState struct {
	remaining int
	reset     time.Time
}

// rateLimits tracks Discord's rate-limit headers per route, keyed by
// discordapi.BucketKey (which keeps the major parameter). Routes that
// X-RateLimit-Bucket says share a bucket share its state: each sender has
// its own rateLimits for its one channel or webhook, so the bucket hash
// alone identifies the bucket. It is safe for concurrent use.
// https://discord.com/developers/docs/topics/rate-limits
type rateLimits struct {
	now func() time.Time

	mu      sync.Mutex
	bucket  map[string]string // route → bucket id
	buckets map[string]*bucketState
	global  time.Time // no request before this (global 429)
}

func newRateLimits(now func() time.Time) *rateLimits {
	if now == nil {
		now = time.Now
	}
	return &rateLimits{now: now, bucket: map[string]string{}, buckets: map[string]*bucketState{}}
}

// key returns the bucket key of route; callers hold mu.
func (r *rateLimits) key(route string) string {
	if b, ok := r.bucket[route]; ok {
		return "b:" + b
	}
	return "r:" + route
}

// update records the headers of an answer to route. retryAfter is the 429's
// wait (0 otherwise); global marks a global 429.
func (r *rateLimits) update(route string, status int, h http.Header, retryAfter time.Duration, global bool) {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if status == http.StatusTooManyRequests && global {
		if until := now.Add(min(retryAfter, maxRateLimitDelay)); until.After(r.global) {
			r.global = until
		}
		return
	}
	if b := h.Get("X-RateLimit-Bucket"); b != "" {
		r.bucket[route] = b
	}
	rem, errRem := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Remaining")))
	after := headerSeconds(h, "X-RateLimit-Reset-After")
	if after == 0 {
		if at, err := strconv.ParseFloat(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 64); err == nil && at > 0 {
			after = time.Unix(0, int64(at*1e9)).Sub(now)
		}
	}
	if status == http.StatusTooManyRequests {
		// A route 429 without bucket headers still says: not before retry_after.
		rem, errRem = 0, nil
		after = max(after, retryAfter)
	}
	if errRem != nil || after <= 0 {
		return
	}
	k := r.key(route)
	st := r.buckets[k]
	if st == nil {
		st = &bucketState{}
		r.buckets[k] = st
	}
	st.remaining = rem
	st.reset = now.Add(min(after, maxRateLimitDelay))
}

// delay returns how long to wait before a request to route.
func (r *rateLimits) delay(route string) time.Duration {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	var d time.Duration
	if r.global.After(now) {
		d = r.global.Sub(now)
	}
	if st := r.buckets[r.key(route)]; st != nil && st.remaining <= 0 && st.reset.After(now) {
		d = max(d, st.reset.Sub(now)+rateLimitMargin)
	}
	return d
}

// take charges one request to route's bucket before it is sent, so that
// requests in flight count even before their answers arrive.
func (r *rateLimits) take(route string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st := r.buckets[r.key(route)]; st != nil && st.reset.After(r.now()) && st.remaining > 0 {
		st.remaining--
	}
}
