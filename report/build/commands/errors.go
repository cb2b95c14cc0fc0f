package commands

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/report/format"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// CommandError is one failed command invocation as the bot instrumentation
// reports it. Message must already be sanitised (bounded, secrets removed);
// the renderer escapes it.
type CommandError struct {
	Command, Module, ErrorType, Message string
	GuildID, ChannelID, InteractionID   string
	Duration                            time.Duration
	Goroutines                          int
	HeapAlloc                           uint64
	At                                  time.Time
	Panic                               bool
	// Remote: the command ran in another process (a bot sending OTLP),
	// whose goroutines and heap are not known here.
	Remote bool
}

// ErrorDigest summarises the errors an error storm suppressed in a window.
type ErrorDigest struct {
	Start, End time.Time
	Suppressed int
	Counts     []ErrorCount
}

// ErrorCount is how often one command failed with one error type.
type ErrorCount struct {
	Command, Module, ErrorType string
	Count                      int
}

// ErrorData is the data of a command_error event (DESIGN §3).
type ErrorData struct {
	Command      string       `json:"command"`
	ErrorType    string       `json:"error_type"`
	ErrorMessage string       `json:"error_message"`
	Context      ErrorContext `json:"context"`
	DurationMS   float64      `json:"duration_ms"`
	Impact       *ErrorImpact `json:"impact"` // null when the command ran in another process
	Panic        bool         `json:"panic"`
	Digest       *DigestData  `json:"digest,omitempty"`
}

// ErrorContext is where a command failed.
type ErrorContext struct {
	Module        string `json:"module"`
	GuildID       string `json:"guild_id"`
	ChannelID     string `json:"channel_id"`
	InteractionID string `json:"interaction_id"`
}

// ErrorImpact is the process's state when the command failed.
type ErrorImpact struct {
	Goroutines int    `json:"goroutines"`
	HeapAlloc  uint64 `json:"heap_alloc"`
}

// DigestData is the JSON form of an ErrorDigest.
type DigestData struct {
	Start      time.Time    `json:"start"`
	End        time.Time    `json:"end"`
	Suppressed int          `json:"suppressed"`
	Counts     []DigestLine `json:"counts"`
}

// DigestLine is one command/error-type count in a digest.
type DigestLine struct {
	Command   string `json:"command"`
	Module    string `json:"module"`
	ErrorType string `json:"error_type"`
	Count     int    `json:"count"`
}

// ErrorReport builds the command_error report of one failure.
func ErrorReport(e CommandError, host string) *reportdata.Report {
	d := ErrorData{
		Command: e.Command, ErrorType: e.ErrorType, ErrorMessage: e.Message,
		Context:    ErrorContext{Module: e.Module, GuildID: e.GuildID, ChannelID: e.ChannelID, InteractionID: e.InteractionID},
		DurationMS: format.Round(float64(e.Duration)/float64(time.Millisecond), 2),
		Panic:      e.Panic,
	}
	kind := "failed"
	if e.Panic {
		kind = "panicked"
	}
	msg := e.Message
	if msg == "" {
		msg = "(no message)"
	}
	impact := reportdata.Section{Name: "⚙️ Impact", Fields: []reportdata.Field{
		{Name: "Process", Value: "another process (received over OTLP): not measured here"},
	}}
	if !e.Remote {
		d.Impact = &ErrorImpact{Goroutines: e.Goroutines, HeapAlloc: e.HeapAlloc}
		impact.Fields = []reportdata.Field{
			{Name: "Goroutines", Value: strconv.Itoa(e.Goroutines), Inline: true},
			{Name: "Heap", Value: format.Bytes(float64(e.HeapAlloc)), Inline: true},
		}
	}
	where := "DM"
	if e.GuildID != "" {
		where = "guild " + e.GuildID + " · channel " + e.ChannelID
	}
	return &reportdata.Report{
		Event: reportdata.EventError, Time: e.At.UTC(), Host: host,
		Title: fmt.Sprintf("Command error · /%s %s", e.Command, kind), Emoji: "❗",
		Level: health.Poor, Summary: msg, Data: d,
		Sections: []reportdata.Section{
			{Name: "❗ Error", Fields: []reportdata.Field{
				{Name: "Command", Value: "/" + e.Command + " (" + orDash(e.Module) + ")", Inline: true},
				{Name: "Type", Value: e.ErrorType, Inline: true},
				{Name: "Duration", Value: format.MS(d.DurationMS), Inline: true},
			}},
			{Name: "📍 Context", Fields: []reportdata.Field{
				{Name: "Where", Value: where},
				{Name: "Interaction", Value: orDash(e.InteractionID)},
			}},
			impact,
		},
	}
}

// DigestReport builds the command_error report that stands for an error
// storm's suppressed failures.
func DigestReport(dg ErrorDigest, host string) *reportdata.Report {
	dd := &DigestData{Start: dg.Start.UTC(), End: dg.End.UTC(), Suppressed: dg.Suppressed, Counts: []DigestLine{}}
	var lines []string
	for _, c := range dg.Counts {
		dd.Counts = append(dd.Counts, DigestLine(c))
		lines = append(lines, fmt.Sprintf("/%s · %s × %d", c.Command, c.ErrorType, c.Count))
	}
	if len(lines) == 0 {
		lines = []string{"—"}
	}
	d := ErrorData{Command: "(several)", ErrorType: "digest",
		ErrorMessage: fmt.Sprintf("%d more command errors between %s and %s", dg.Suppressed, dg.Start.UTC().Format("15:04:05"), dg.End.UTC().Format("15:04:05 UTC")),
		Digest:       dd}
	return &reportdata.Report{
		Event: reportdata.EventError, Time: dg.End.UTC(), Host: host,
		Title: fmt.Sprintf("Command errors · %d more in %s", dg.Suppressed, format.Duration(dg.End.Sub(dg.Start))), Emoji: "❗",
		Level: health.Poor, Summary: d.ErrorMessage, Data: d,
		Sections: []reportdata.Section{{Name: "❗ Errors by command", Fields: []reportdata.Field{{Name: "", Value: strings.Join(lines, "\n")}}}},
	}
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
