package agent

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/nexusmon/nexusmon/agent/internal/httpapi"
	"github.com/nexusmon/nexusmon/deliver"
	"github.com/nexusmon/nexusmon/deliver/discord"
	"github.com/nexusmon/nexusmon/internal/store"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// nopSender is a Discord sender that accepts everything.
type nopSender struct{}

func (nopSender) Name() string { return discord.DestBot }
func (nopSender) Post(context.Context, *render.Payload) (string, error) {
	return "1300000000000000001", nil
}
func (nopSender) Edit(context.Context, string, *render.Payload) error { return nil }

// A store that cannot write leaves the agent up: /healthz answers 200 with
// "up": true and says "degraded", with the store's and the delivery's state,
// and goes back to not degraded once the store writes again.
func TestAgent_healthzDegradedStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var full atomic.Bool
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "nexusmon.db"), store.WithFaults(func(store.Fault) error {
		if full.Load() {
			return &fs.PathError{Op: "write", Path: "nexusmon.db-wal", Err: syscall.ENOSPC}
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
	d, err := deliver.NewDelivery(st, nopSender{}, deliver.DeliveryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := &Agent{st: st, reporter: report.NewReporter(report.Options{Store: st})}
	a.delivery = d
	get := func() (int, httpapi.Health) {
		t.Helper()
		rec := httptest.NewRecorder()
		httpapi.Handler(a.httpDeps()).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		var body httpapi.Health
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		return rec.Code, body
	}

	if code, body := get(); code != http.StatusOK || !body.Up || body.Degraded || body.Delivery == nil || !body.Delivery.Durable {
		t.Fatalf("healthy: %d %+v", code, body)
	}

	full.Store(true)
	err = d.Enqueue(ctx, deliver.Outbound{Kind: reportdata.EventAlert, Priority: report.PriorityAlert,
		Payload: render.Payload{Content: "x", AllowedMentions: render.NoMentions()}})
	if !errors.Is(err, report.ErrNotDurable) {
		t.Fatalf("Enqueue on a full disk = %v, want ErrNotDurable", err)
	}
	code, body := get()
	if code != http.StatusOK || !body.Up || !body.Degraded || body.Store.OK || body.Store.Writable ||
		body.Store.WriteErrorClass != store.ClassDiskFull || body.Delivery == nil || body.Delivery.Durable || body.Delivery.MemoryQueue != 1 {
		t.Errorf("full disk: %d %+v %+v, want 200, up and degraded, the store not writable (disk_full), 1 message in memory", code, body, body.Delivery)
	}

	full.Store(false)
	if err := st.Put(ctx, "ns", "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if code, body := get(); code != http.StatusOK || !body.Store.OK || !body.Store.Writable || !body.Degraded || body.Delivery.Durable {
		t.Errorf("store writes, memory not yet moved: %d %+v, want still degraded until the delivery is durable", code, body)
	}
}
