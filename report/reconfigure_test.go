package report

import (
	"bytes"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/report/reportdata"

	"github.com/nexusmon/nexusmon/health"
)

// Reconfigure changes the memory lines and the modes; the firing alert
// keeps its state (no second firing) and is judged by the new lines.
func TestReporter_ReconfigureKeepsAlertState(t *testing.T) {
	t.Parallel()
	st := openStore(t, t.TempDir())
	var events bytes.Buffer
	c := &clock{t: testTime}
	f := &memoryFeed{t: t, rep: NewReporter(alertOptions(st, &events, c)), at: testTime}
	f.feed(80, 80, 80) // above 75 for a minute: WARNING
	if got := alertEvents(t, &events); len(got) != 1 || got[0].Severity != "warning" || got[0].Threshold != 75 {
		t.Fatalf("before: want one WARNING at 75, got %+v", got)
	}

	th := reportdata.DefaultThresholds()
	th.Memory = health.Thresholds{Warning: 50, Critical: 70}
	f.rep.Reconfigure(Settings{Thresholds: th, Alerts: AlertOptions{For: time.Minute, Hysteresis: 0.1},
		Modes: map[reportdata.Kind]reportdata.Mode{reportdata.EventMemory: reportdata.ModeOff}, SilentReports: true})
	if got := f.rep.Settings(); got.Thresholds.Memory.Critical != 70 || got.Thresholds.CPU != reportdata.DefaultThresholds().CPU || !got.SilentReports {
		t.Fatalf("settings after Reconfigure = %+v", got)
	}
	if m := f.rep.Mode(reportdata.EventMemory); m != reportdata.ModeOff {
		t.Errorf("memory mode = %q, want off", m)
	}
	if a := f.rep.ActiveAlerts(); len(a) != 1 || a[0].Threshold != 50 {
		t.Fatalf("active after Reconfigure = %+v, want the firing memory alert at its new warning line 50", a)
	}
	f.feed(80, 80, 80) // above the new critical line 70: one escalation, no new WARNING
	got := alertEvents(t, &events)
	if len(got) != 1 || got[0].Severity != "critical" || got[0].Threshold != 70 {
		t.Fatalf("after: want one CRITICAL at 70, got %+v", got)
	}
}
