package deliver

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/nexusmon/nexusmon/deliver/discord"
	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/internal/discordtest"
	n "github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/internal/store"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// Titles of the messages the full-disk story expects.
const (
	titleMemoryReport = "🧠 Memory Performance"
	titleStoreFull    = "🚨 CRITICAL · store cannot write · disk full"
	titleStoreBack    = "✅ RESOLVED · store writes again"
	titleMemoryAlert  = "⚠️ WARNING · memory usage 80 %"
	titleMemoryClear  = "✅ RESOLVED · memory usage 41 %"
)

// faultyStore opens a store whose writes fail with ENOSPC while the
// returned flag is set.
func faultyStore(t *testing.T) (*store.Store, *atomic.Bool) {
	t.Helper()
	var full atomic.Bool
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "nexusmon.db"),
		store.WithFaults(func(store.Fault) error {
			if full.Load() {
				return errNoSpace
			}
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return st, &full
}

// waitUntil polls cond until it holds, failing the test after timeout.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// count returns how many of titles are want.
func count(titles []string, want string) int {
	n := 0
	for _, s := range titles {
		if s == want {
			n++
		}
	}
	return n
}

// fullDiskStory runs a Reporter and a Delivery to the fake Discord on st,
// fills its disk with fill mid-run and frees it with free: reports and
// alerts keep reaching Discord, the store's own alert among them, and once
// there is space again delivery is durable again without a restart,
// having lost and repeated nothing.
func fullDiskStory(t *testing.T, st *store.Store, fill, free func()) {
	ctx := context.Background()
	srv := discordtest.New(t, dlvFastLimits()...)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() {
		if err := mp.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	opts := dlvOpts(nil)
	opts.MeterProvider = mp
	d := dlvStart(t, st, dlvBot(t, srv, srv.Token(), nil), opts)
	at := reporttest.FixtureTime
	r := report.NewReporter(report.Options{Host: "host-1", Store: st, Queue: ReportQueue(d), Now: func() time.Time { return at }})
	reports := 0
	feed := func(memPct float64) {
		t.Helper()
		at = at.Add(30 * time.Second)
		reports++
		// While the disk is full, handle reports the store's failures;
		// what matters is what reaches Discord.
		_ = r.Collect(ctx, reportdata.EventMemory, reporttest.BareSnapshot(at, memPct), nil)
		dlvFlush(t, d, 10*time.Second)
	}
	titles := func() []string { return dlvTitles(srv.Messages(discordtest.DefaultChannelID)) }
	metric := func(name string) int64 {
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(ctx, &rm); err != nil {
			t.Fatal(err)
		}
		return dlvSum(t, rm, name, attribute.String(n.AttrDestination, discord.DestBot))
	}

	feed(41)
	if got := titles(); !slices.Equal(got, []string{titleMemoryReport}) || !d.Durable() {
		t.Fatalf("before the disk is full: Discord got %q (durable %v)", got, d.Durable())
	}

	fill()
	feed(41)
	feed(80)
	got := titles()
	if count(got, titleMemoryReport) != 3 || count(got, titleStoreFull) != 1 || count(got, titleMemoryAlert) != 1 {
		t.Fatalf("with a full disk Discord got %q, want 3 reports, the store alert and the memory alert once each", got)
	}
	if d.Durable() || metric(n.MessagesNotDurable) < 4 || metric(n.MemoryQueueDepth) != 0 {
		t.Errorf("with a full disk: durable %v, %s %d, %s %d; want not durable, 4 or more sent from memory, none left",
			d.Durable(), n.MessagesNotDurable, metric(n.MessagesNotDurable), n.MemoryQueueDepth, metric(n.MemoryQueueDepth))
	}

	free()
	feed(41)
	waitUntil(t, 15*time.Second, "delivery to be durable again", d.Durable)
	notDurable := metric(n.MessagesNotDurable)
	feed(41)
	got = titles()
	want := map[string]int{titleMemoryReport: reports, titleStoreFull: 1, titleMemoryAlert: 1, titleStoreBack: 1, titleMemoryClear: 1}
	for title, n := range want {
		if c := count(got, title); c != n {
			t.Errorf("Discord got %q %d times, want %d", title, c, n)
		}
	}
	if len(got) != reports+4 {
		t.Errorf("Discord got %d messages, want %d: %q", len(got), reports+4, got)
	}
	if metric(n.MessagesNotDurable) != notDurable {
		t.Errorf("a report after recovery was delivered from memory")
	}
	if depth, err := st.Depth(ctx, discord.DestBot); err != nil || depth != 0 {
		t.Errorf("outbox depth after recovery = %d, %v; want 0", depth, err)
	}
	// The alert states are stored: a restart neither repeats nor forgets.
	for _, rule := range []string{report.RuleStore, health.RuleMemory} {
		b, ok, err := st.Get(ctx, report.AlertNS, rule)
		var s health.State
		if err == nil && ok {
			err = json.Unmarshal(b, &s)
		}
		if err != nil || !ok || s.Status != health.StatusInactive {
			t.Errorf("stored state of %s = %s (ok=%v, err=%v), want inactive", rule, b, ok, err)
		}
	}
}

// The full disk injected through the store's fault hook: runs everywhere.
func TestReporter_FullDiskInjected(t *testing.T) {
	t.Parallel()
	st, full := faultyStore(t)
	fullDiskStory(t, st, func() { full.Store(true) }, func() { full.Store(false) })
}

// The store on a 2 MiB tmpfs that is really filled. It needs to mount a
// file system (root or CAP_SYS_ADMIN) and is skipped otherwise.
func TestReporter_FullDiskTmpfs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root or CAP_SYS_ADMIN; the fault-hook test covers the same story): %v: %s",
			err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { // runs after the store is closed: cleanups run last-in first-out
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	st, err := store.Open(context.Background(), filepath.Join(dir, "nexusmon.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	filler := filepath.Join(dir, "filler")
	fill := func() {
		f, err := os.Create(filler)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64<<10)
		for {
			if _, err = f.Write(buf); err != nil {
				break
			}
		}
		if !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("filling the tmpfs: %v", err)
		}
		// Whatever is left is smaller than a block: fill it too.
		for _, err = f.Write(buf[:1]); err == nil; _, err = f.Write(buf[:1]) {
		}
		if err := f.Close(); err != nil && !errors.Is(err, syscall.ENOSPC) {
			t.Fatal(err)
		}
	}
	free := func() {
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
	}
	fullDiskStory(t, st, fill, free)
}

// memStory queues, on a store that cannot write and while Discord is down,
// a durable report r0 (queued before the disk filled), an alert with its
// state, two reports, two edits of one live message and more state alone.
func memStory(t *testing.T) (*store.Store, *atomic.Bool, *recSender, *Delivery) {
	t.Helper()
	ctx := context.Background()
	st, full := faultyStore(t)
	s := &recSender{name: discord.DestBot}
	s.setFail(&discord.SendError{Status: 503, Retryable: true, Reason: discord.ReasonServer, Err: errors.New("503 Service Unavailable")})
	d := dlvStart(t, st, s, dlvOpts(nil))
	reportMsg := func(title, editKey string) Outbound {
		return Outbound{Kind: reportdata.EventSystem, Priority: report.PriorityReport, EditKey: editKey, Payload: dlvPayload(title, title+".json")}
	}
	dlvEnqueue(t, d, reportMsg("r0", ""))
	full.Store(true)
	steps := []error{
		d.Commit(ctx, []store.KV{{NS: report.AlertNS, Key: "a1", Value: []byte("firing")}},
			Outbound{Kind: reportdata.EventAlert, Priority: report.PriorityAlert, Payload: dlvPayload("a1", "")}),
		d.Enqueue(ctx, reportMsg("r1", "")),
		d.Enqueue(ctx, reportMsg("r2", "")),
		d.Enqueue(ctx, reportMsg("e1", "live")),
		d.Enqueue(ctx, reportMsg("e2", "live")), // supersedes e1
		d.Commit(ctx, []store.KV{{NS: report.AlertNS, Key: "a2", Value: []byte("pending")}}),
	}
	for i, err := range steps {
		if !errors.Is(err, report.ErrNotDurable) {
			t.Fatalf("step %d on a full disk = %v, want ErrNotDurable", i, err)
		}
	}
	if d.Durable() || d.MemoryDepth() != 4 {
		t.Fatalf("durable %v, %d in memory; want not durable, 4 in memory (a1 r1 r2 e2)", d.Durable(), d.MemoryDepth())
	}
	if n, err := st.Depth(ctx, discord.DestBot); err != nil || n != 1 {
		t.Fatalf("outbox depth = %d, %v; want r0 alone", n, err)
	}
	return st, full, s, d
}

// wantState checks the alert state stored under key.
func wantState(t *testing.T, st *store.Store, key, want string) {
	t.Helper()
	if v, ok, err := st.Get(context.Background(), report.AlertNS, key); err != nil || !ok || string(v) != want {
		t.Errorf("state %s = %q (ok=%v, err=%v), want %q", key, v, ok, err, want)
	}
}

// When the disk has space again before Discord is back, the memory queue
// moves into the outbox with its state in one transaction: alerts first,
// the old durable report before the newer ones, the superseded edit gone.
// Then everything is delivered once, in that order.
func TestDelivery_MemoryQueueMovesBackIntoOutbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, full, s, d := memStory(t)
	full.Store(false)
	waitUntil(t, 15*time.Second, "the memory queue to move into the outbox", d.Durable)
	rows, err := st.Pending(ctx, discord.DestBot, 100)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, r := range rows {
		p, err := decodePayload(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, p.Embeds[0].Title)
	}
	if want := []string{"a1", "r0", "r1", "r2", "e2"}; !slices.Equal(order, want) {
		t.Errorf("outbox after recovery = %q, want %q", order, want)
	}
	wantState(t, st, "a1", "firing")
	wantState(t, st, "a2", "pending")
	if d.MemoryDepth() != 0 {
		t.Errorf("%d messages still in memory", d.MemoryDepth())
	}

	s.setFail(nil)
	dlvFlush(t, d, 10*time.Second)
	if got, want := s.got(), []string{"a1", "r0", "r1", "r2", "e2"}; !slices.Equal(got, want) {
		t.Errorf("Discord got %q, want %q", got, want)
	}
}

// When Discord is back while the disk is still full, messages go out from
// memory and the outbox in order; a delivered outbox message whose removal
// cannot be written is not sent again, and is removed once the store can
// write, with the state.
func TestDelivery_SendsFromMemoryWhileFull(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, full, s, d := memStory(t)
	s.setFail(nil)
	dlvFlush(t, d, 10*time.Second)
	want := []string{"a1", "r0", "r1", "r2", "e2"}
	if got := s.got(); !slices.Equal(got, want) {
		t.Fatalf("Discord got %q, want %q", got, want)
	}
	if n, err := st.Depth(ctx, discord.DestBot); err != nil || n != 1 || d.Stats().QueueDepth != 0 || d.Durable() {
		t.Errorf("outbox depth %d (%v), queue depth %d, durable %v; want r0 still stored (its removal could not be written), nothing pending, not durable",
			n, err, d.Stats().QueueDepth, d.Durable())
	}

	full.Store(false)
	waitUntil(t, 15*time.Second, "delivery to be durable again", d.Durable)
	waitUntil(t, 15*time.Second, "r0's removal to be written", func() bool {
		n, err := st.Depth(ctx, discord.DestBot)
		return err == nil && n == 0
	})
	wantState(t, st, "a1", "firing")
	wantState(t, st, "a2", "pending")
	dlvFlush(t, d, 10*time.Second)
	if got := s.got(); !slices.Equal(got, want) {
		t.Errorf("Discord got %q after recovery, want %q: nothing sent twice", got, want)
	}
}

// The memory queue is bounded: the oldest reports go first, alerts only
// when nothing else is left, and every drop is counted.
func TestDelivery_MemoryQueueBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, full := faultyStore(t)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() {
		if err := mp.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	opts := dlvOpts(nil)
	opts.MeterProvider = mp
	d, err := NewDelivery(st, &recSender{name: discord.DestBot}, opts) // not started: everything stays queued
	if err != nil {
		t.Fatal(err)
	}
	full.Store(true)
	enqueue := func(m Outbound) {
		t.Helper()
		if err := d.Enqueue(ctx, m); !errors.Is(err, report.ErrNotDurable) {
			t.Fatalf("Enqueue %s = %v, want ErrNotDurable", m.Payload.Embeds[0].Title, err)
		}
	}
	alert := func(i int) Outbound {
		return Outbound{Kind: reportdata.EventAlert, Priority: report.PriorityAlert, Payload: dlvPayload("a"+strconv.Itoa(i), "")}
	}
	reportMsg := func(i int) Outbound {
		return Outbound{Kind: reportdata.EventSystem, Priority: report.PriorityReport, Payload: dlvPayload("r"+strconv.Itoa(i), "")}
	}
	enqueue(alert(0))
	for i := range 300 {
		enqueue(reportMsg(i))
	}
	enqueue(alert(1))
	titles := func() []string {
		d.qmu.Lock()
		defer d.qmu.Unlock()
		var out []string
		for _, m := range d.mem.msgs {
			p, err := decodePayload(m.Body)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p.Embeds[0].Title)
		}
		return out
	}
	got := titles()
	wantKept := append([]string{"a0", "a1"}, func() []string {
		var r []string
		for i := 300 - (MemoryQueueMessages - 2); i < 300; i++ {
			r = append(r, "r"+strconv.Itoa(i))
		}
		return r
	}()...)
	if !slices.Equal(got, wantKept) {
		t.Errorf("memory queue holds %d messages %q…, want the 2 alerts then the newest %d reports", len(got), got[:min(len(got), 4)], MemoryQueueMessages-2)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	dest := attribute.String(n.AttrDestination, discord.DestBot)
	dropped := int64(302 - MemoryQueueMessages)
	if got := dlvSum(t, rm, n.MessagesMemoryDropped, dest); got != dropped || d.Stats().Dropped != dropped {
		t.Errorf("%s = %d, Stats.Dropped %d; want %d", n.MessagesMemoryDropped, got, d.Stats().Dropped, dropped)
	}
	if got := dlvSum(t, rm, n.MemoryQueueDepth, dest); got != MemoryQueueMessages || d.Stats().QueueDepth != MemoryQueueMessages {
		t.Errorf("%s = %d, Stats.QueueDepth %d; want %d", n.MemoryQueueDepth, got, d.Stats().QueueDepth, MemoryQueueMessages)
	}

	// The byte bound: large reports push the small ones out, then each other.
	big := func(i int) Outbound {
		m := reportMsg(1000 + i)
		m.Payload.Files = []reportdata.File{{Name: "big.bin", ContentType: "application/octet-stream", Data: make([]byte, 2<<20)}}
		return m
	}
	for i := range 6 {
		enqueue(big(i))
	}
	d.qmu.Lock()
	bytes := d.mem.bytes
	d.qmu.Unlock()
	got = titles()
	if bytes > MemoryQueueBytes || !slices.Contains(got, "a0") || !slices.Contains(got, "a1") || got[len(got)-1] != "r1005" || slices.Contains(got, "r1000") {
		t.Errorf("after large reports: %d bytes (bound %d), queue %q", bytes, MemoryQueueBytes, got)
	}

	// With only alerts left, the oldest alert goes.
	for i := 2; i < MemoryQueueMessages+2; i++ {
		enqueue(alert(i))
	}
	got = titles()
	if len(got) != MemoryQueueMessages || slices.Contains(got, "a0") || slices.Contains(got, "a1") || got[len(got)-1] != "a"+strconv.Itoa(MemoryQueueMessages+1) {
		t.Errorf("alerts only: %d messages, first %q, last %q; want the newest %d alerts", len(got), got[0], got[len(got)-1], MemoryQueueMessages)
	}
}
