package probe

import "time"

// AvailabilityWindow is the span of history Result.Availability covers.
const AvailabilityWindow = time.Hour

// maxHistory bounds the ring of one target: one entry per second for the
// whole window, far more than any sensible interval needs.
const maxHistory = 3600

// outcome is one probe result as the availability ring remembers it.
type outcome struct {
	at time.Time
	ok bool
}

// history is a fixed-capacity ring of outcomes, oldest first. When full,
// the oldest entry is overwritten, so a burst of on-demand probes can only
// shorten the window the ratio covers, never grow memory. Not safe for
// concurrent use; the Prober guards it with its mutex.
type history struct {
	buf   []outcome
	start int // index of the oldest entry
	n     int // number of entries in use
}

func newHistory(capacity int) *history {
	return &history{buf: make([]outcome, capacity)}
}

// add appends o, overwriting the oldest entry when the ring is full.
func (h *history) add(o outcome) {
	if len(h.buf) == 0 {
		return
	}
	if h.n < len(h.buf) {
		h.buf[(h.start+h.n)%len(h.buf)] = o
		h.n++
		return
	}
	h.buf[h.start] = o
	h.start = (h.start + 1) % len(h.buf)
}

// ratio drops entries older than window before now and returns the share
// of successes among the rest; 0 when nothing is left.
func (h *history) ratio(now time.Time, window time.Duration) float64 {
	cutoff := now.Add(-window)
	for h.n > 0 && !h.buf[h.start].at.After(cutoff) {
		h.start = (h.start + 1) % len(h.buf)
		h.n--
	}
	if h.n == 0 {
		return 0
	}
	ok := 0
	for i := range h.n {
		if h.buf[(h.start+i)%len(h.buf)].ok {
			ok++
		}
	}
	return float64(ok) / float64(h.n)
}

// historyCapacity sizes a ring for one probe per interval over the window,
// plus room for on-demand probes, capped at maxHistory.
func historyCapacity(interval time.Duration) int {
	if interval <= 0 {
		return maxHistory
	}
	c := int(AvailabilityWindow/interval)*2 + 16
	return min(c, maxHistory)
}
