package discordtest

import (
	"hash/fnv"
	"math"
	"net/http"
	"strconv"
	"time"
)

// bucket is a fixed window for one route key and major parameter.
type bucket struct {
	start time.Time
	count int
}

// takeBucket charges one request to its window. It returns the rate-limit
// headers to add to a normal answer, or a complete 429 when the window is
// spent.
func (s *Server) takeBucket(rt *route, c *call) (http.Header, *response) {
	key := rt.key()
	l := s.opts.limitFor(key)
	if l.Limit <= 0 || l.Window <= 0 {
		return nil, nil
	}
	now := s.now()
	s.mu.Lock()
	id := key + "|" + rt.majorOf(c.path)
	b := s.buckets[id]
	if b == nil || !now.Before(b.start.Add(l.Window)) {
		b = &bucket{start: now}
		s.buckets[id] = b
	}
	over := b.count >= l.Limit
	if !over {
		b.count++
	}
	remaining := l.Limit - b.count
	reset := b.start.Add(l.Window)
	s.mu.Unlock()

	after := reset.Sub(now).Seconds()
	if after <= 0 {
		after = 0.001
	}
	h := http.Header{}
	h.Set("X-RateLimit-Limit", strconv.Itoa(l.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", fmtSeconds(float64(reset.UnixNano())/1e9))
	h.Set("X-RateLimit-Reset-After", fmtSeconds(after))
	h.Set("X-RateLimit-Bucket", bucketHash(key))
	if !over {
		return h, nil
	}
	h.Set("X-RateLimit-Scope", "user")
	h.Set("Retry-After", strconv.Itoa(ceilSeconds(after)))
	resp := response{
		status: http.StatusTooManyRequests,
		header: h,
		body:   mustJSON(map[string]any{"message": "You are being rate limited.", "retry_after": roundMillis(after), "global": false}),
	}
	return nil, &resp
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
