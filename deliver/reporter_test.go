package deliver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/internal/store"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// Reporter helpers for the tests that run a Reporter into a Delivery
// (copies of report's test helpers, which other packages' tests cannot
// import; the snapshots come from internal/reporttest).

func openStore(t testing.TB, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dir, "nexusmon.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return st
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

type alertLine struct {
	Event reportdata.Kind      `json:"event"`
	Data  reportdata.AlertData `json:"data"`
}

func alertEvents(t *testing.T, buf *bytes.Buffer) []reportdata.AlertData {
	t.Helper()
	var out []reportdata.AlertData
	sc := bufio.NewScanner(buf)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l alertLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if l.Event == reportdata.EventAlert {
			out = append(out, l.Data)
		}
	}
	buf.Reset()
	return out
}

type memoryFeed struct {
	t    *testing.T
	rep  *report.Reporter
	at   time.Time
	prev *reportdata.Snapshot
}

func (f *memoryFeed) feed(values ...float64) {
	f.t.Helper()
	for _, v := range values {
		f.at = f.at.Add(30 * time.Second)
		s := reporttest.BareSnapshot(f.at, v)
		if err := f.rep.Collect(context.Background(), reportdata.EventMemory, s, f.prev); err != nil {
			f.t.Fatal(err)
		}
		f.prev = s
	}
}
