package agent

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/report"
)

// TestAgent_storageFlushInterval: storage.flush_interval reaches the store.
// With 0s every system report's history is in the store's write-ahead log
// once the report is out; with 1m it waits in memory, and the log grows by
// what is written at once (alert state) only.
func TestAgent_storageFlushInterval(t *testing.T) {
	growth := map[time.Duration]int64{}
	for _, interval := range []time.Duration{0, time.Minute} {
		var wal string
		a := systemReportAgent(t, false, func(c *config.Config) {
			c.Storage.FlushInterval = interval
			wal = c.Storage.Path + "-wal"
		})
		r := a.reports[report.EventSystem]
		ctx := context.Background()
		size := func() int64 {
			t.Helper()
			st, err := os.Stat(wal)
			if err != nil {
				t.Fatal(err)
			}
			return st.Size()
		}
		if err := r.collect(ctx); err != nil { // the first: its state written
			t.Fatal(err)
		}
		before := size()
		for range 5 {
			if err := r.collect(ctx); err != nil {
				t.Fatal(err)
			}
		}
		growth[interval] = size() - before
	}
	t.Logf("write-ahead log growth over five reports: %v", growth)
	// Five reports' data and samples are several pages of 4 KiB.
	if growth[time.Minute]+4*4096 > growth[0] {
		t.Errorf("the log grew %d bytes with flush_interval 1m and %d with 0s: the interval did not hold the history back",
			growth[time.Minute], growth[0])
	}
}
