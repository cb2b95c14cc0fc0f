// Package fleet is the Discord exporter's model of a fleet of instances
// and its reports: the overview, the per-instance and silent alerts, the
// fleet command analysis and the fleet health report. The component
// (package discordexporter) feeds it snapshots, runs its ticks and gives it
// a queue and a state store.
package fleet

import (
	"time"

	"github.com/nexusmon/nexusmon/report"
)

// Config is what the fleet takes from the exporter's configuration.
type Config struct {
	// SilentAfter is how many overview intervals an instance may send
	// nothing before its silent alert fires.
	SilentAfter      int
	OverviewInterval time.Duration
	// OverviewMode, CommandsMode and HealthMode are the reports' modes.
	OverviewMode, CommandsMode, HealthMode report.Mode
	// SilentReports marks the periodic reports silent.
	SilentReports bool
	Thresholds    report.Thresholds
	AlertOptions  report.AlertOptions
}
