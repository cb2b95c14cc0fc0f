package topk

import (
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
