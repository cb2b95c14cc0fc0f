package build

import (
	"testing"

	"github.com/nexusmon/nexusmon/report/reportdata"
)

// BenchmarkSystemReportBuild builds one system report's data and texts
// from a collection and the one before it (systemSnapshot: a busy host
// with a bot, its process and probes), as the Reporter does before it
// stores and publishes them.
func BenchmarkSystemReportBuild(b *testing.B) {
	cur, prev := systemSnapshot(1), systemSnapshot(0)
	th := reportdata.DefaultThresholds()
	b.ReportAllocs()
	for b.Loop() {
		SystemReport(BuildSystemData(cur, prev), cur.Time, "host-1", th)
	}
}
