package bot

import (
	"container/heap"
	"sort"
	"sync"
)

// MaxTopIDs is how many guild (and channel) ids the command instruments
// count for the command report's top guilds and channels (TopInvocations).
// The metric series stop at MaxIDSeries ids and count the rest as OtherID;
// this count does not: it keeps the MaxTopIDs busiest ids of the whole run.
const MaxTopIDs = 1000

// IDCount is one guild or channel id with the invocations counted for it.
// Count is exact for an id counted since its first invocation, and a lower
// bound for one that took the place of a less busy id once MaxTopIDs ids
// were counted (its invocations before that are not known).
type IDCount struct {
	ID    string
	Count uint64
}

// topIDs counts invocations by id with the Space-Saving algorithm (Metwally,
// Agrawal and El Abbadi, 2005): up to limit ids are counted exactly; an id
// seen when limit ids are counted replaces the least counted one, inheriting
// its count as an error bound. Any id with more than total/limit invocations
// is guaranteed to be counted, so the busiest guilds of a bot in thousands
// of guilds are always there. Memory is bounded by limit entries.
type topIDs struct {
	mu    sync.Mutex
	limit int
	byID  map[string]*idEntry
	h     idHeap // least counted first
}

type idEntry struct {
	id    string
	count uint64 // counted, including err
	err   uint64 // the count inherited from the replaced id
	index int    // in h
}

func newTopIDs(limit int) *topIDs {
	return &topIDs{limit: limit, byID: make(map[string]*idEntry)}
}

// add counts one invocation of id.
func (t *topIDs) add(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.byID[id]; ok {
		e.count++
		heap.Fix(&t.h, e.index)
		return
	}
	if len(t.h) < t.limit {
		e := &idEntry{id: id, count: 1}
		t.byID[id] = e
		heap.Push(&t.h, e)
		return
	}
	e := t.h[0] // the least counted id gives way
	delete(t.byID, e.id)
	e.id, e.err = id, e.count
	e.count++
	t.byID[id] = e
	heap.Fix(&t.h, 0)
}

// top returns every counted id with its guaranteed count (count − err),
// the highest first, ties by id.
func (t *topIDs) top() []IDCount {
	t.mu.Lock()
	out := make([]IDCount, 0, len(t.h))
	for _, e := range t.h {
		out = append(out, IDCount{ID: e.id, Count: e.count - e.err})
	}
	t.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].ID < out[j].ID
	})
	return out
}

type idHeap []*idEntry

func (h idHeap) Len() int           { return len(h) }
func (h idHeap) Less(i, j int) bool { return h[i].count < h[j].count }
func (h idHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *idHeap) Push(x any) {
	e := x.(*idEntry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *idHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// countIDs counts an invocation in its guild and channel. The counters are
// recorded without the span's context: exemplars are kept for the duration
// histograms, where a trace id explains a slow command; on counters they
// would only cost a clock read each.
func (in *Instruments) countIDs(guildID, channelID string) {
	if guildID != "" {
		in.guildInv.Add(bg, 1, in.guilds.opts(guildID)...)
		if in.topGuilds != nil {
			in.topGuilds.add(guildID)
		}
	}
	if channelID != "" {
		in.chanInv.Add(bg, 1, in.chans.opts(channelID)...)
		if in.topChans != nil {
			in.topChans.add(channelID)
		}
	}
}

// TopInvocations returns the invocations counted per guild and per channel
// since the instruments were made, busiest first, up to MaxTopIDs ids each
// (see IDCount for when a count is a lower bound). The command report lists
// its top guilds and channels from these rather than from the metric series,
// which name only the first MaxIDSeries ids. Nil instruments return nothing.
func (in *Instruments) TopInvocations() (guilds, channels []IDCount) {
	if in == nil || in.topGuilds == nil {
		return nil, nil
	}
	return in.topGuilds.top(), in.topChans.top()
}
