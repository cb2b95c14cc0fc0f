package topk

import (
	"container/heap"
	"sort"
	"sync"
)

// Count is one id with the occurrences counted for it. Count is exact for
// an id counted since its first occurrence, and a lower bound for one that
// took the place of a less frequent id once the limit was reached (its
// occurrences before that are not known).
type Count struct {
	ID    string
	Count uint64
}

// Counter counts occurrences by id with the Space-Saving algorithm
// (Metwally, Agrawal and El Abbadi, 2005): up to limit ids are counted
// exactly; an id seen when limit ids are counted replaces the least counted
// one, inheriting its count as an error bound. Any id with more than
// total/limit occurrences is guaranteed to be counted. Memory is bounded by
// limit entries. Safe for concurrent use.
type Counter struct {
	mu    sync.Mutex
	limit int
	byID  map[string]*entry
	h     entryHeap // least counted first
}

type entry struct {
	id    string
	count uint64 // counted, including err
	err   uint64 // the count inherited from the replaced id
	index int    // in h
}

// New returns a Counter that keeps at most limit ids.
func New(limit int) *Counter {
	return &Counter{limit: limit, byID: make(map[string]*entry)}
}

// Add counts one occurrence of id.
func (t *Counter) Add(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.byID[id]; ok {
		e.count++
		heap.Fix(&t.h, e.index)
		return
	}
	if len(t.h) < t.limit {
		e := &entry{id: id, count: 1}
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

// Top returns every counted id with its guaranteed count (count − err),
// the highest first, ties by id.
func (t *Counter) Top() []Count {
	t.mu.Lock()
	out := make([]Count, 0, len(t.h))
	for _, e := range t.h {
		out = append(out, Count{ID: e.id, Count: e.count - e.err})
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

type entryHeap []*entry

func (h entryHeap) Len() int           { return len(h) }
func (h entryHeap) Less(i, j int) bool { return h[i].count < h[j].count }
func (h entryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *entryHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *entryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
