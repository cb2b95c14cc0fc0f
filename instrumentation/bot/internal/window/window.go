// Package window counts events over a sliding window of the last Seconds
// seconds with one-second resolution, in constant memory (the invalid
// requests of Discord's Cloudflare limit, discord.rest.invalid_requests).
// It imports the standard library only.
package window

import (
	"sync"
	"time"
)

// Seconds is the window's length: Discord's invalid-request limit counts
// over 10 minutes.
const Seconds = 600

// Counter has one counter per second of the window, reused as the window
// slides. The zero value is ready to use and safe for concurrent use.
type Counter struct {
	mu     sync.Mutex
	secs   [Seconds]int64 // the Unix second each slot counts, 0 for never
	counts [Seconds]int64
}

// Add counts one event at now.
func (w *Counter) Add(now time.Time) {
	sec := now.Unix()
	i := int(uint64(sec) % uint64(len(w.secs)))
	w.mu.Lock()
	if w.secs[i] != sec {
		w.secs[i], w.counts[i] = sec, 0
	}
	w.counts[i]++
	w.mu.Unlock()
}

// Count returns the events in the window ending at now.
func (w *Counter) Count(now time.Time) int64 {
	sec := now.Unix()
	oldest := sec - int64(len(w.secs)) // exclusive
	var n int64
	w.mu.Lock()
	for i, s := range w.secs {
		if s > oldest && s <= sec {
			n += w.counts[i]
		}
	}
	w.mu.Unlock()
	return n
}
