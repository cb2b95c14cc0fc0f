package throttle

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// event is a test event: an id and what a digest counts it by.
type event struct {
	id string
	Key
}

func eventKey(e event) Key { return e.Key }

// emitted is one call of a Throttle's emit.
type emitted struct {
	id         string
	suppressed int
}

func TestThrottle(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	ev := func(id, cmd, et string) event {
		return event{id: id, Key: Key{Command: cmd, Module: "m", ErrorType: et}}
	}
	type step struct {
		ev     event
		at     time.Duration
		digest *Digest // expected from Offer
	}
	tests := map[string]struct {
		burst     int
		steps     []step
		wantEmit  []emitted
		flushAt   time.Duration
		wantFlush *Digest
	}{
		"quiet: every event passes": {
			burst: 2,
			steps: []step{
				{ev: ev("1", "a", "x"), at: 0},
				{ev: ev("2", "a", "x"), at: 30 * time.Second},
				{ev: ev("3", "a", "x"), at: 70 * time.Second},
			},
			wantEmit: []emitted{{"1", 0}, {"2", 0}, {"3", 0}},
			flushAt:  200 * time.Second,
		},
		"storm: burst, then one digest per window": {
			burst: 2,
			steps: []step{
				{ev: ev("1", "a", "x"), at: 0},
				{ev: ev("2", "a", "x"), at: time.Second},
				{ev: ev("3", "a", "x"), at: 2 * time.Second},
				{ev: ev("4", "b", "y"), at: 3 * time.Second},
				{ev: ev("5", "a", "x"), at: 4 * time.Second},
				// Next window: the previous digest comes out, the burst starts over.
				{ev: ev("6", "a", "x"), at: 61 * time.Second, digest: &Digest{
					Start: t0, End: t0.Add(time.Minute), Suppressed: 3,
					Counts: []DigestCount{{"a", "m", "x", 2}, {"b", "m", "y", 1}},
				}},
				{ev: ev("7", "a", "x"), at: 62 * time.Second},
				{ev: ev("8", "c", "z"), at: 63 * time.Second},
			},
			wantEmit: []emitted{{"1", 0}, {"2", 0}, {"6", 3}, {"7", 3}},
			flushAt:  121 * time.Second,
			wantFlush: &Digest{
				Start: t0.Add(61 * time.Second), End: t0.Add(121 * time.Second), Suppressed: 1,
				Counts: []DigestCount{{"c", "m", "z", 1}},
			},
		},
		"flush before the window ends returns nothing": {
			burst: 1,
			steps: []step{
				{ev: ev("1", "a", "x"), at: 0},
				{ev: ev("2", "a", "x"), at: time.Second},
			},
			wantEmit: []emitted{{"1", 0}},
			flushAt:  59 * time.Second,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var got []emitted
			th := New(time.Minute, tc.burst, func(e event, n int) {
				got = append(got, emitted{e.id, n})
			}, eventKey)
			for i, st := range tc.steps {
				d := th.Offer(st.ev, t0.Add(st.at))
				if !reflect.DeepEqual(d, st.digest) {
					t.Errorf("step %d: Offer digest = %+v, want %+v", i, d, st.digest)
				}
			}
			if !reflect.DeepEqual(got, tc.wantEmit) {
				t.Errorf("emitted %v, want %v", got, tc.wantEmit)
			}
			if d := th.Flush(t0.Add(tc.flushAt)); !reflect.DeepEqual(d, tc.wantFlush) {
				t.Errorf("Flush = %+v, want %+v", d, tc.wantFlush)
			}
		})
	}
}

func TestThrottle_DigestKeysBounded(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	th := New(time.Minute, 1, nil, eventKey)
	for i := range 200 {
		th.Offer(event{Key: Key{Command: fmt.Sprint("cmd", i), ErrorType: "x"}}, t0)
	}
	d := th.Flush(t0.Add(time.Minute))
	if d == nil || d.Suppressed != 199 || len(d.Counts) != MaxKeys+1 {
		t.Fatalf("digest = %+v", d)
	}
	if d.Counts[0] != (DigestCount{ErrorType: "other", Count: 199 - MaxKeys}) {
		t.Errorf("overflow line = %+v", d.Counts[0])
	}
}
