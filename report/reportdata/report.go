package reportdata

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/nexusmon/nexusmon/health"
)

// Kind is a report kind (DESIGN §3): the envelope's "event", the JSON
// attachment's base name, and the kind stored in history and the outbox.
type Kind string

// The report kinds: the five periodic reports, then the event-driven ones.
const (
	EventSystem   Kind = "detailed_system_monitoring"
	EventNetwork  Kind = "network_performance_monitoring"
	EventMemory   Kind = "memory_performance_monitoring"
	EventCommands Kind = "command_performance_analysis"
	EventHealth   Kind = "comprehensive_health_report"
	EventAlert    Kind = "performance_alert" // alerts and info notices
	EventError    Kind = "command_error"     // a command error or a digest of them
	EventTest     Kind = "test_message"      // /nexus test_reporting's messages
)

// Mode is how the reports of a kind are posted (DESIGN §3).
type Mode string

// Modes.
const (
	ModePost Mode = "post" // a new message each interval
	ModeEdit Mode = "edit" // one live message per report, edited in place
	ModeOff  Mode = "off"  // collected and stored, not posted
)

// DefaultModes returns DESIGN §3's mode of each periodic report: the
// system, network and memory reports are live messages, the command
// analysis and the health report are posted. A kind not in the map (alerts,
// errors) is posted.
func DefaultModes() map[Kind]Mode {
	return map[Kind]Mode{
		EventSystem:   ModeEdit,
		EventNetwork:  ModeEdit,
		EventMemory:   ModeEdit,
		EventCommands: ModePost,
		EventHealth:   ModePost,
	}
}

// Report is a presentation-neutral report: what report builders produce and
// what the renderers (Discord payload, console text) consume. Builders fill
// it from a Snapshot; renderers never look at the Snapshot.
type Report struct {
	Event    Kind         // one of the Event* kinds
	Time     time.Time    // when the data was collected, UTC
	Host     string       // host.name, shown in the footer
	Title    string       // e.g. "Detailed System Monitor"; the renderer prefixes Emoji
	Emoji    string       // e.g. "🖥️"
	Level    health.Level // worst level in the report; decides the embed colour
	Summary  string       // one or two lines under the title (may be empty)
	Sections []Section    // in display order
	Data     any          // the envelope's "data": marshalled to JSON as is
	Files    []File       // extra attachments (e.g. the health chart PNG); the JSON attachment is added by the renderer
	Image    string       // file name in Files to show as the embed image, "" for none
	Test     bool         // a TEST message (from /nexus test_reporting): the renderer marks it so
	Silent   bool         // post without push notifications (SUPPRESS_NOTIFICATIONS); see report.Reporter.ForChannel
}

// Routine reports whether r is a routine report, which nobody needs to be
// woken for: the periodic reports, info notices ("agent started", "Discord
// reachable again") and test messages. Alerts (firing, repeated or
// resolved) and command errors are not. A TEST alert from /nexus
// test_reporting is not routine either: the self-test behaves like what it
// tests.
func (r *Report) Routine() bool {
	switch r.Event {
	case EventAlert:
		d, ok := r.Data.(AlertData)
		return ok && d.State == health.EventInfo
	case EventError:
		return false
	}
	return true
}

// Section is a titled group of fields, e.g. "CPU" or "Memory".
type Section struct {
	Name   string
	Fields []Field
}

// Field is one name/value line. Value may span several lines.
type Field struct {
	Name   string
	Value  string
	Inline bool
}

// Envelope is the JSON shape of every event, in the events file and in the
// <event>.json attachment.
type Envelope struct {
	Event     Kind      `json:"event"`
	Timestamp time.Time `json:"timestamp"`
	Test      bool      `json:"test,omitempty"`
	Data      any       `json:"data"`
}

// Envelope returns the report's JSON envelope.
func (r *Report) Envelope() Envelope {
	return Envelope{Event: r.Event, Timestamp: r.Time.UTC(), Test: r.Test, Data: r.Data}
}

// AppendEnvelopeLine appends to dst the JSON of r's envelope, byte for byte
// what json.Marshal(r.Envelope()) gives, around data, r.Data as json.Marshal
// encoded it: the Reporter encodes the data once for the store and the
// events file.
func AppendEnvelopeLine(dst []byte, r *Report, data []byte) []byte {
	dst = append(dst, `{"event":`...)
	dst = appendJSONString(dst, string(r.Event))
	dst = append(dst, `,"timestamp":"`...)
	dst = r.Time.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, '"')
	if r.Test {
		dst = append(dst, `,"test":true`...)
	}
	dst = append(dst, `,"data":`...)
	dst = append(dst, data...)
	return append(dst, '}')
}

// appendJSONString appends s quoted as json.Marshal quotes it: as it is
// when it holds only printable ASCII that needs no escape (every Kind),
// through json.Marshal otherwise.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, err := json.Marshal(s)
			if err != nil { // unreachable: a string always encodes
				q = []byte(`""`)
			}
			return append(dst, q...)
		}
	}
	return append(append(append(dst, '"'), s...), '"')
}

// File is an attachment sent as a multipart files[n] part.
type File struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
}

// AttachmentName is the envelope attachment's file name, "<event>.json",
// with anything but letters, digits, "_", "-" and "." replaced.
func AttachmentName(event Kind) string {
	b := []byte(strings.TrimSpace(string(event)))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "report.json"
	}
	return string(b) + ".json"
}

// HealthChart is what the health report's chart shows (drawn by
// Options.Chart: render/chart.Render). Samples outside [Start, End]
// and non-finite values are left out; empty series are not drawn. A
// threshold pair that is not usable (zero, NaN, or Critical below Warning)
// draws no lines.
type HealthChart struct {
	Start, End      time.Time
	CPU, Memory     []health.Sample // percent
	Gateway, API    []health.Sample // milliseconds
	CPUTh, MemoryTh health.Thresholds
	LatencyTh       health.Thresholds // the lines of the latency panel (the network thresholds)
}

// ChartFile is the health chart's attachment name.
const ChartFile = "health_chart.png"

// AlertStatus is one firing alert.
type AlertStatus struct {
	Rule      string    `json:"rule"`
	Metric    string    `json:"metric"`
	Severity  string    `json:"severity"` // warning or critical
	Value     float64   `json:"value"`    // last value observed
	Unit      string    `json:"unit"`
	Threshold float64   `json:"threshold"` // the line of its severity
	Peak      float64   `json:"peak"`
	Since     time.Time `json:"since"` // when it fired
}

// AlertData is the data of a performance_alert report (DESIGN §3).
type AlertData struct {
	Rule       string    `json:"rule"`
	Metric     string    `json:"metric"`
	Severity   string    `json:"severity"` // info, warning, critical
	State      string    `json:"state"`    // firing, resolved, info
	Value      float64   `json:"value"`
	Unit       string    `json:"unit"`
	Threshold  float64   `json:"threshold"` // the line crossed; the clear level for resolved events
	Since      time.Time `json:"since"`
	Peak       float64   `json:"peak"`
	DurationMS int64     `json:"duration_ms"`
	Repeat     bool      `json:"repeat"`
	Message    string    `json:"message"`
}
