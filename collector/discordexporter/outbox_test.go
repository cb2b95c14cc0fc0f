package discordexporter

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/nexusmon/nexusmon/deliver"
	"github.com/nexusmon/nexusmon/internal/storeapi"
)

func openTestOutbox(t *testing.T, c storage.Client) *outbox {
	t.Helper()
	o, err := openOutbox(context.Background(), c, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func ids(ms []deliver.Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func eq(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestOutbox_OrderSupersedeAndReopen(t *testing.T) {
	ctx := context.Background()
	c := newMemClient()
	o := openTestOutbox(t, c)
	post := func(p int) deliver.Message {
		return deliver.Message{Dest: "bot", Priority: p, Kind: "k", Body: []byte("{}")}
	}
	edit := func(key string) deliver.Message {
		return deliver.Message{Dest: "bot", Priority: 1, Kind: "k", EditKey: key, Body: []byte("{}")}
	}
	got, sup, err := o.EnqueueWith(ctx, []deliver.KV{{NS: "alerts", Key: "cpu", Value: []byte("s1")}}, post(1), edit("ov"), post(0))
	if err != nil || !eq(got, []int64{1, 2, 3}) || sup != 0 {
		t.Fatalf("enqueue = %v, %d, %v", got, sup, err)
	}
	if v, ok, err := o.Get(ctx, "alerts", "cpu"); err != nil || !ok || string(v) != "s1" {
		t.Fatalf("state = %q, %v, %v", v, ok, err)
	}
	// An edit supersedes the never-attempted pending edit of its key, and
	// an earlier edit in the same call; never an attempted one or a post.
	if err := o.Retry(ctx, 2, 1, t0.Add(time.Second), "503"); err != nil {
		t.Fatal(err)
	}
	got, sup, err = o.EnqueueWith(ctx, nil, edit("ov"), edit("ov"))
	if err != nil || !eq(got, []int64{4, 5}) || sup != 1 {
		t.Fatalf("edits = %v, %d, %v; want [4 5], 1 superseded (4 by 5; 2 was attempted)", got, sup, err)
	}
	_, sup, _ = o.EnqueueWith(ctx, nil, edit("ov"))
	if sup != 1 {
		t.Errorf("superseded %d, want 1 (5)", sup)
	}
	p, _ := o.Pending(ctx, "bot", 10)
	if !eq(ids(p), []int64{3, 1, 2, 6}) {
		t.Fatalf("pending = %v, want [3 1 2 6]: priority, then id", ids(p))
	}
	if p[2].Attempts != 1 || p[2].LastError != "503" || !p[2].NextAttempt.Equal(t0.Add(time.Second)) {
		t.Errorf("retried message = %+v", p[2])
	}
	if err := o.Ack(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := o.Fail(ctx, 1, "invalid"); err != nil {
		t.Fatal(err)
	}
	if err := o.Retry(ctx, 1, 2, t0, ""); !errors.Is(err, storeapi.ErrNotFound) {
		t.Errorf("retry of a failed message = %v, want ErrNotFound", err)
	}
	if err := o.Fail(ctx, 99, ""); !errors.Is(err, storeapi.ErrNotFound) {
		t.Errorf("fail of an unknown message = %v, want ErrNotFound", err)
	}

	// A restart reads back what is pending, and ids are never reused.
	o2 := openTestOutbox(t, c)
	p, _ = o2.Pending(ctx, "bot", 0)
	if !eq(ids(p), []int64{2}) {
		t.Fatalf("pending after reopen (limit 0 = 1) = %v, want [2]", ids(p))
	}
	if n, _ := o2.Depth(ctx, "bot"); n != 2 {
		t.Errorf("depth = %d, want 2", n)
	}
	if last, _ := o2.LastID(ctx, "bot"); last != 6 {
		t.Errorf("last id = %d, want 6", last)
	}
	if n, _ := o2.PendingThrough(ctx, "bot", 5); n != 1 {
		t.Errorf("pending through 5 = %d, want 1", n)
	}
	got, _, _ = o2.EnqueueWith(ctx, nil, post(1))
	if !eq(got, []int64{7}) {
		t.Errorf("id after reopen = %v, want [7]", got)
	}
	if v, ok, _ := o2.Get(ctx, "alerts", "cpu"); !ok || string(v) != "s1" {
		t.Errorf("state after reopen = %q, %v", v, ok)
	}
	if n, _ := o2.Depth(ctx, "webhook"); n != 0 {
		t.Errorf("another destination's depth = %d", n)
	}
}

func TestOutbox_DropOldestKeepsAlerts(t *testing.T) {
	ctx := context.Background()
	o := openTestOutbox(t, newMemClient())
	for _, p := range []int{0, 1, 1, 0, 1} {
		if _, _, err := o.EnqueueWith(ctx, nil, deliver.Message{Dest: "bot", Priority: p}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := o.DropOldest(ctx, "bot", 0, 2)
	if err != nil || n != 2 {
		t.Fatalf("dropped %d, %v; want 2", n, err)
	}
	p, _ := o.Pending(ctx, "bot", 10)
	if !eq(ids(p), []int64{1, 4, 5}) {
		t.Errorf("pending = %v, want [1 4 5]: the oldest reports dropped, alerts kept", ids(p))
	}
	if n, _ := o.DropOldest(ctx, "bot", 0, 5); n != 1 {
		t.Errorf("dropped %d, want 1 (only one report left)", n)
	}
}

// failingClient fails every Batch while fail is set.
type failingClient struct {
	*memClient
	fail bool
}

func (c *failingClient) Batch(ctx context.Context, ops ...*storage.Operation) error {
	if c.fail {
		return errors.New("disk full")
	}
	return c.memClient.Batch(ctx, ops...)
}

// A storage that cannot write leaves the outbox unchanged (all or
// nothing) and says so in Status, which turns the Delivery to its memory
// queue until a write succeeds again.
func TestOutbox_WriteFailureIsAtomicAndReported(t *testing.T) {
	ctx := context.Background()
	c := &failingClient{memClient: newMemClient()}
	o := openTestOutbox(t, c)
	if _, _, err := o.EnqueueWith(ctx, nil, deliver.Message{Dest: "bot", Priority: 1}); err != nil {
		t.Fatal(err)
	}
	c.fail = true
	_, _, err := o.EnqueueWith(ctx, []deliver.KV{{NS: "a", Key: "b", Value: []byte("x")}}, deliver.Message{Dest: "bot"})
	if err == nil {
		t.Fatal("enqueue on a failing storage succeeded")
	}
	st := o.Status()
	if st.Writable || st.WriteErrors != 1 || st.WriteErrorClass == "" {
		t.Errorf("status = %+v", st)
	}
	if n, _ := o.Depth(ctx, "bot"); n != 1 {
		t.Errorf("depth = %d, want 1", n)
	}
	c.fail = false
	if _, ok, _ := o.Get(ctx, "a", "b"); ok {
		t.Error("the state of a failed batch was written")
	}
	got, _, err := o.EnqueueWith(ctx, nil, deliver.Message{Dest: "bot"})
	if err != nil || !eq(got, []int64{2}) || !o.Status().Writable {
		t.Errorf("after recovery: %v, %v, %+v", got, err, o.Status())
	}
}

// A storage client that cannot list its keys cannot hold an outbox.
func TestOutbox_NeedsWalker(t *testing.T) {
	_, err := openOutbox(context.Background(), storage.NewNopClient(), time.Now)
	if err == nil {
		t.Fatal("an outbox opened on a client without Walk")
	}
}
