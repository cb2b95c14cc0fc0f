package report

import (
	"context"
	"io"
	"testing"

	"github.com/nexusmon/nexusmon/internal/reporttest"
)

// systemReportAllocs is the allocation budget of one system report built,
// stored (report and samples, in a real store) and written to the events
// file from a collection (reporttest.FullSnapshot: a busy host with a bot, probes and
// commands), the collection itself not included. Today: 105 allocations,
// 112 under the race detector (make test), about 43 of them the store's;
// 301 (363) before the texts were appended into one buffer (no
// fmt.Sprintf), the optional figures shared arrays (format.Slab) and the
// data's encoding buffer and the events line were kept for the next
// report; 339 (401) before the report and its samples were one
// transaction and the builders' attribute filters stayed on the stack
// (343 before the data was JSON-encoded once). The budgets leave about
// 10 % for Go and SQLite versions, so that a change that adds work to
// every report fails make test, not only a benchmark.
const (
	systemReportAllocs     = 116
	systemReportAllocsRace = 124
)

func TestSystemReport_allocBudget(t *testing.T) {
	ctx := context.Background()
	rep := NewReporter(Options{Host: "host-1", Store: openStore(t, t.TempDir()), Events: io.Discard})
	cur, prev := reporttest.FullSnapshot(1), reporttest.FullSnapshot(0)
	if err := rep.Collect(ctx, EventSystem, cur, prev); err != nil { // the first report: nothing lazily set up is counted
		t.Fatal(err)
	}
	budget := float64(systemReportAllocs)
	if raceBuild {
		budget = systemReportAllocsRace
	}
	allocs := testing.AllocsPerRun(50, func() {
		if err := rep.Collect(ctx, EventSystem, cur, prev); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("one system report: %.0f allocations (budget %.0f)", allocs, budget)
	if allocs > budget {
		t.Errorf("one system report allocates %.0f times, over its budget of %.0f: find the new allocations (go test -run '^$' -bench BenchmarkSystemReport -memprofile) or, when they are needed, raise the budget with the reason", allocs, budget)
	}
}
