package report

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/internal/store"
	"github.com/nexusmon/nexusmon/internal/storeapi"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// statusCountingStore counts the Reporter's calls of Status, which
// refreshes the store's file size (two stat calls) when a second has passed.
type statusCountingStore struct {
	*store.Store
	status atomic.Int32
}

func (c *statusCountingStore) Status() storeapi.Status {
	c.status.Add(1)
	return c.Store.Status()
}

// The store_write check after every report reads the store's write
// failures without Status: at one report a second, Status would stat the
// database file and its WAL at every report.
func TestReporter_StoreCheckWithoutStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := &statusCountingStore{Store: openStore(t, t.TempDir())}
	rep := NewReporter(Options{Host: "host-1", Store: st})
	if !rep.alerts.rules.Load().enabled[ruleStore] {
		t.Fatal("the store_write rule is off by default")
	}
	st.status.Store(0) // NewReporter may read it once
	for i := range 3 {
		if err := rep.handle(ctx, reportdata.EventSystem, reporttest.FullSnapshot(i+1), reporttest.FullSnapshot(i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := st.status.Load(); n != 0 {
		t.Errorf("3 system reports called the store's Status %d times, want 0", n)
	}
}
