// Package ratelimit is the fake Discord's rate limiting: a fixed window per
// route key and major parameter, the default windows, the X-RateLimit-*
// headers of every answer and the 429s, computed as Discord presents them
// (seconds with millisecond precision, Retry-After in whole seconds rounded
// up, an opaque bucket id per route).
//
// It keeps the windows and nothing else: discordtest decides which routes
// are limited and when (scripts and outages bypass it), and counts the 429s.
// It imports only the standard library.
package ratelimit

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limit is a fixed window: Limit requests per Window.
type Limit struct {
	Limit  int
	Window time.Duration
}

// Default returns the window of a route key ("POST /channels/{id}/messages")
// that has none configured: routes under /channels/{id}/messages 5 per 5 s,
// routes under /webhooks 5 per 2 s, every other route 50 per second.
func Default(route string) Limit {
	_, path, _ := strings.Cut(route, " ")
	switch {
	case strings.HasPrefix(path, "/channels/{id}/messages"):
		return Limit{Limit: 5, Window: 5 * time.Second}
	case strings.HasPrefix(path, "/webhooks/"):
		return Limit{Limit: 5, Window: 2 * time.Second}
	default:
		return Limit{Limit: 50, Window: time.Second}
	}
}

// Windows holds the fixed windows of one server. The zero value is ready
// to use; it is safe for concurrent use.
type Windows struct {
	mu sync.Mutex
	m  map[string]*window
}

// window is a fixed window for one route key and major parameter.
type window struct {
	start time.Time
	count int
}

// Take charges one request of route, arriving at now, to the window of
// major (its major parameter) under l. Within the window it returns the
// rate-limit headers to add to the answer and a nil body; over it, the
// headers and body of the complete 429 (scope user).
func (w *Windows) Take(route, major string, l Limit, now time.Time) (http.Header, []byte) {
	id := route + "|" + major
	w.mu.Lock()
	if w.m == nil {
		w.m = map[string]*window{}
	}
	b := w.m[id]
	if b == nil || !now.Before(b.start.Add(l.Window)) {
		b = &window{start: now}
		w.m[id] = b
	}
	over := b.count >= l.Limit
	if !over {
		b.count++
	}
	remaining := l.Limit - b.count
	reset := b.start.Add(l.Window)
	w.mu.Unlock()

	after := reset.Sub(now).Seconds()
	if after <= 0 {
		after = 0.001
	}
	h := headers(route, l.Limit, remaining, reset, after)
	if !over {
		return h, nil
	}
	h.Set("X-RateLimit-Scope", "user")
	h.Set("Retry-After", strconv.Itoa(ceilSeconds(after)))
	return h, Body(roundMillis(after), false)
}

// TooMany returns the headers of a 429 that a test scripted: retryAfter
// seconds from now, global or of scope ("user" when empty) in a window of
// limit requests (at least 1) of route.
func TooMany(route string, limit int, retryAfter float64, global bool, scope string, now time.Time) http.Header {
	var h http.Header
	if global {
		h = http.Header{}
		scope = "global"
		h.Set("X-RateLimit-Global", "true")
	} else {
		if scope == "" {
			scope = "user"
		}
		reset := now.Add(time.Duration(retryAfter * float64(time.Second)))
		h = headers(route, max(limit, 1), 0, reset, retryAfter)
	}
	h.Set("Retry-After", strconv.Itoa(ceilSeconds(retryAfter)))
	h.Set("X-RateLimit-Scope", scope)
	return h
}

// Body is the JSON body of a 429.
func Body(retryAfter float64, global bool) []byte {
	b, err := json.Marshal(map[string]any{"message": "You are being rate limited.", "retry_after": retryAfter, "global": global})
	if err != nil {
		// A string, a float and a bool always marshal.
		panic(fmt.Sprintf("discordtest: marshal: %v", err))
	}
	return b
}

// headers are the X-RateLimit-* headers of an answer in a window.
func headers(route string, limit, remaining int, reset time.Time, after float64) http.Header {
	h := http.Header{}
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", fmtSeconds(float64(reset.UnixNano())/1e9))
	h.Set("X-RateLimit-Reset-After", fmtSeconds(after))
	h.Set("X-RateLimit-Bucket", bucketHash(route))
	return h
}

// bucketHash stands in for Discord's opaque bucket id: stable per route,
// independent of the major parameter.
func bucketHash(route string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(route)) // hash.Hash never returns an error
	return strconv.FormatUint(h.Sum64(), 16)
}

// fmtSeconds formats seconds with millisecond precision, as Discord does.
func fmtSeconds(v float64) string {
	return strconv.FormatFloat(roundMillis(v), 'f', 3, 64)
}

// roundMillis rounds up to the next millisecond so a positive value never
// becomes zero.
func roundMillis(v float64) float64 {
	return math.Ceil(v*1000) / 1000
}

// ceilSeconds is the integer Retry-After header: seconds, rounded up, ≥ 1.
func ceilSeconds(v float64) int {
	return max(int(math.Ceil(v)), 1)
}
