package report

import (
	"github.com/nexusmon/nexusmon/report/reportdata"
)
import "maps"

// Settings are the Reporter options a running agent may change (a config
// reload): thresholds, alert timing, report modes and silent reports.
type Settings struct {
	Thresholds    reportdata.Thresholds
	Alerts        AlertOptions
	Modes         map[reportdata.Kind]reportdata.Mode // kind → mode; absent means post
	SilentReports bool
}

// Settings returns the Reporter's current settings.
func (r *Reporter) Settings() Settings {
	s := *r.live.Load()
	s.Modes = maps.Clone(s.Modes)
	return s
}

// Reconfigure replaces the Reporter's settings; it is safe to call while
// readers export. Every alert rule keeps its state: a firing alert stays
// firing (it is not posted again) and is evaluated against its new lines
// from the next snapshot on. Nothing queued or stored is touched. A zero
// threshold pair takes its default, as in NewReporter.
func (r *Reporter) Reconfigure(s Settings) {
	s.Thresholds = s.Thresholds.WithDefaults()
	s.Modes = maps.Clone(s.Modes)
	r.alerts.setRules(s.Thresholds, s.Alerts)
	r.live.Store(&s)
}
