package topk

import (
	"container/heap"
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestCounter_exactBelowLimit(t *testing.T) {
	t.Parallel()
	tk := New(10)
	for i := range 5 {
		for range i + 1 {
			tk.Add("g" + strconv.Itoa(i))
		}
	}
	got := tk.Top()
	if len(got) != 5 {
		t.Fatalf("top = %v, want 5 ids", got)
	}
	for i, c := range got {
		if want := (Count{ID: "g" + strconv.Itoa(4-i), Count: uint64(5 - i)}); c != want {
			t.Errorf("top[%d] = %+v, want %+v", i, c, want)
		}
	}
}

// A bot in thousands of guilds: one busy guild among 5,000 that invoke once
// each is counted exactly (it was first seen before the count filled up),
// another busy guild first seen late is still found with a lower bound of
// its count, and the count never holds more than its limit.
func TestCounter_heavyHittersBeyondLimit(t *testing.T) {
	t.Parallel()
	const limit = 100
	tk := New(limit)
	truth := map[string]uint64{}
	add := func(id string) { tk.Add(id); truth[id]++ }
	for i := range 5000 {
		add(strconv.Itoa(100000 + i))
		if i%10 == 0 {
			add("early") // 500 invocations, from the start
		}
		if i >= 4000 && i%5 == 0 {
			add("late") // 200 invocations, first seen after 4,000 other guilds
		}
	}
	got := tk.Top()
	if len(got) != limit {
		t.Fatalf("%d ids counted, want the limit %d", len(got), limit)
	}
	if got[0] != (Count{ID: "early", Count: 500}) {
		t.Errorf("top[0] = %+v, want early with its exact 500", got[0])
	}
	if got[1].ID != "late" || got[1].Count == 0 || got[1].Count > truth["late"] {
		t.Errorf("top[1] = %+v, want late with a lower bound of its %d", got[1], truth["late"])
	}
	for _, c := range got {
		if c.Count > truth[c.ID] {
			t.Errorf("%s counted %d, more than its %d invocations", c.ID, c.Count, truth[c.ID])
		}
	}
}

// refCounter is Counter as it was on container/heap, to check that the
// heap moves written out in topk.go are the same: the same id must give way
// on a tie, so that a count never depends on the version.
type refCounter struct {
	limit int
	byID  map[string]*entry
	h     refHeap
}

func (t *refCounter) add(id string) {
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
	e := t.h[0]
	delete(t.byID, e.id)
	e.id, e.err = id, e.count
	e.count++
	t.byID[id] = e
	heap.Fix(&t.h, 0)
}

type refHeap []*entry

func (h refHeap) Len() int           { return len(h) }
func (h refHeap) Less(i, j int) bool { return h[i].count < h[j].count }
func (h refHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *refHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *refHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

func TestCounter_sameMovesAsContainerHeap(t *testing.T) {
	t.Parallel()
	const limit = 50
	tk := New(limit)
	ref := &refCounter{limit: limit, byID: map[string]*entry{}}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 20000 {
		// Skewed: a few busy ids, many that come once, ties all the time.
		id := strconv.Itoa(int(rng.ExpFloat64() * 40))
		if n%3 == 0 {
			id = "once-" + strconv.Itoa(n)
		}
		tk.Add(id)
		ref.add(id)
		if n%97 != 0 {
			continue
		}
		for i := range ref.h {
			got, want := tk.h[i], ref.h[i]
			if got.id != want.id || got.count != want.count || got.err != want.err || got.index != i {
				t.Fatalf("after %d adds, heap[%d] = %+v, container/heap has %+v", n+1, i, *got, *want)
			}
		}
	}
	if len(tk.h) != limit || len(tk.byID) != limit {
		t.Errorf("%d entries, %d ids, want %d", len(tk.h), len(tk.byID), limit)
	}
}
