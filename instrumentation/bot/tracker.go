package bot

import (
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/nexusmon/nexusmon/instrumentation/bot/internal/window"
)

const (
	// ResponseDeadline is Discord's limit for the first response to an
	// interaction; a later one counts in discord.command.late_responses.
	// https://discord.com/developers/docs/interactions/receiving-and-responding#responding-to-an-interaction
	ResponseDeadline = 3 * time.Second

	// trackTTL is how long an interaction waits for its first response:
	// the lifetime of an interaction token.
	trackTTL = 15 * time.Minute
	// trackMax bounds the tracker; beyond it new interactions are not
	// tracked (their first response is not measured).
	trackMax = 10000
	// sweepEvery is how often begin looks for expired entries.
	sweepEvery = time.Minute

	// InvalidRequestWindow is the window of discord.rest.invalid_requests,
	// the one Cloudflare's invalid-request ban counts over.
	// https://discord.com/developers/docs/topics/rate-limits#invalid-request-limit-aka-cloudflare-bans
	InvalidRequestWindow = window.Seconds * time.Second
)

// pending is an interaction started by the middleware that has not been
// answered yet.
type pending struct {
	start time.Time
	cmd   *command
	span  trace.Span        // for the first-response event; nil once the invocation has ended
	sc    trace.SpanContext // the span's, for the histogram's exemplar
}

// tracker matches first responses (seen by Context.Respond or by the REST
// transport) with the invocations that started them, by interaction id.
// Entries are removed on the first response or after trackTTL.
type tracker struct {
	mu        sync.Mutex
	m         map[string]pending
	lastSweep time.Time
}

// begin starts tracking id at p.start.
func (t *tracker) begin(id string, p pending) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = make(map[string]pending)
	}
	if p.start.Sub(t.lastSweep) >= sweepEvery {
		t.lastSweep = p.start
		for k, v := range t.m {
			if p.start.Sub(v.start) > trackTTL {
				delete(t.m, k)
			}
		}
	}
	if len(t.m) >= trackMax {
		return
	}
	t.m[id] = p
}

// take removes id and returns its entry, if it was tracked.
func (t *tracker) take(id string) (pending, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.m[id]
	if ok {
		delete(t.m, id)
	}
	return p, ok
}

// ended drops the span of id, still waiting for its first response, and
// keeps its span context: the span has ended (so takes no event), and an
// interaction never answered must not keep it in memory until trackTTL.
func (t *tracker) ended(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p, ok := t.m[id]; ok {
		p.span = nil
		t.m[id] = p
	}
}

// size returns the number of tracked interactions.
func (t *tracker) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}
