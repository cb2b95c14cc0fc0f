package report

import (
	"time"

	"github.com/nexusmon/nexusmon/report/reportdata"
)

// The data model lives in package reportdata (so that report/build can use
// it below the Reporter). report re-exports it: a caller of the Reporter
// needs reports and kinds too, and code written against the first layout
// of this package, where these were defined, keeps compiling.

// Types of package reportdata.
type (
	Snapshot    = reportdata.Snapshot
	Metric      = reportdata.Metric
	Point       = reportdata.Point
	Histogram   = reportdata.Histogram
	Exemplar    = reportdata.Exemplar
	Kind        = reportdata.Kind
	Mode        = reportdata.Mode
	Report      = reportdata.Report
	Section     = reportdata.Section
	Field       = reportdata.Field
	Envelope    = reportdata.Envelope
	File        = reportdata.File
	Thresholds  = reportdata.Thresholds
	HealthChart = reportdata.HealthChart
	AlertStatus = reportdata.AlertStatus
	AlertData   = reportdata.AlertData
)

// Report kinds and modes (reportdata's).
const (
	EventSystem   = reportdata.EventSystem
	EventNetwork  = reportdata.EventNetwork
	EventMemory   = reportdata.EventMemory
	EventCommands = reportdata.EventCommands
	EventHealth   = reportdata.EventHealth
	EventAlert    = reportdata.EventAlert
	EventError    = reportdata.EventError
	EventTest     = reportdata.EventTest

	ModePost = reportdata.ModePost
	ModeEdit = reportdata.ModeEdit
	ModeOff  = reportdata.ModeOff

	ChartFile = reportdata.ChartFile
)

// NewSnapshot is reportdata.NewSnapshot.
func NewSnapshot(t time.Time, resource map[string]string) *Snapshot {
	return reportdata.NewSnapshot(t, resource)
}

// DefaultThresholds is reportdata.DefaultThresholds.
func DefaultThresholds() Thresholds { return reportdata.DefaultThresholds() }

// DefaultModes is reportdata.DefaultModes.
func DefaultModes() map[Kind]Mode { return reportdata.DefaultModes() }

// AttachmentName is reportdata.AttachmentName.
func AttachmentName(event Kind) string { return reportdata.AttachmentName(event) }
