package commands

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/report/reportdata"
)

func sectionText(r *reportdata.Report, name string) string {
	for _, s := range r.Sections {
		if strings.Contains(s.Name, name) {
			var b strings.Builder
			for _, f := range s.Fields {
				b.WriteString(f.Name + ": " + f.Value + "\n")
			}
			return b.String()
		}
	}
	return ""
}

// A command that failed in this process shows this process's goroutines
// and heap; one received over OTLP ran in the bot's process, whose figures
// are not known here: its impact is null, not zero goroutines and 0 B.
func TestErrorReport_impact(t *testing.T) {
	t.Parallel()
	e := CommandError{Command: "play", ErrorType: "TypeError", Message: "boom", Duration: time.Second,
		Goroutines: 57, HeapAlloc: 48 << 20, At: time.Unix(1800000000, 0)}
	local := ErrorReport(e, "h")
	if got := sectionText(local, "Impact"); !strings.Contains(got, "Goroutines: 57") || !strings.Contains(got, "Heap: 48.0 MiB") {
		t.Errorf("local impact = %q", got)
	}
	e.Remote, e.Goroutines, e.HeapAlloc = true, 0, 0
	remote := ErrorReport(e, "h")
	if got := sectionText(remote, "Impact"); strings.Contains(got, "Goroutines") || !strings.Contains(got, "another process") {
		t.Errorf("remote impact = %q", got)
	}
	b, err := json.Marshal(remote.Data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"impact":null`) {
		t.Errorf("remote data = %s, want impact null", b)
	}
}
