package topk

import (
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
	if e, ok := t.byID[id]; ok {
		e.count++
		t.h.down(e.index) // a count only grows: it can only move down
		t.mu.Unlock()
		return
	}
	if len(t.h) < t.limit {
		e := &entry{id: id, count: 1, index: len(t.h)}
		t.byID[id] = e
		t.h = append(t.h, e)
		t.h.up(e.index)
		t.mu.Unlock()
		return
	}
	e := t.h[0] // the least counted id gives way
	delete(t.byID, e.id)
	e.id, e.err = id, e.count
	e.count++
	t.byID[id] = e
	t.h.down(0)
	t.mu.Unlock()
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

// entryHeap is a binary min-heap of entries by count, each entry knowing
// its index. up and down are container/heap's, without its interface calls
// (the same moves, so the same id gives way on a tie).
type entryHeap []*entry

func (h entryHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}

func (h entryHeap) up(j int) {
	for {
		i := (j - 1) / 2 // parent
		if i == j || h[j].count >= h[i].count {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h entryHeap) down(i int) {
	n := len(h)
	for {
		j1 := 2*i + 1
		if j1 >= n || j1 < 0 { // j1 < 0 after int overflow
			break
		}
		j := j1 // left child
		if j2 := j1 + 1; j2 < n && h[j2].count < h[j1].count {
			j = j2 // right child
		}
		if h[j].count >= h[i].count {
			break
		}
		h.swap(i, j)
		i = j
	}
}
