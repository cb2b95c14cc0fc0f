package health

import (
	"fmt"
	"math"
	"time"
)

// Severity is how urgent an event is.
type Severity string

// Severities, from least to most urgent.
const (
	SeverityInfo     Severity = "info"
	SeverityWarning  Severity = "warning"
	SeverityCritical Severity = "critical"
)

// rank orders severities for sorting: critical first.
func (s Severity) rank() int {
	switch s {
	case SeverityCritical:
		return 0
	case SeverityWarning:
		return 1
	case SeverityInfo:
		return 2
	default:
		return 3
	}
}

// Status is where an alert rule stands.
type Status string

// Statuses of an alert rule, as in Prometheus.
const (
	StatusInactive Status = "inactive" // value below the line (the zero value "" means the same)
	StatusPending  Status = "pending"  // at or above Warning, waiting for For to pass
	StatusFiring   Status = "firing"   // notified; stays until the value drops below the clear level
)

// Event states.
const (
	EventFiring   = "firing"
	EventResolved = "resolved"
	EventInfo     = "info"
)

// Rule is a threshold alert on one "higher is worse" value, with the
// semantics of Prometheus alerting rules and Alertmanager notifications:
//
//   - a value at or above Warning makes the rule pending; it fires a WARNING
//     once the value has stayed at or above Warning for For (0: at once);
//     a dip below Warning while pending starts over and sends nothing;
//   - while firing WARNING, a value at or above Critical held for For sends
//     one CRITICAL event (escalation); if the value was already critical for
//     For when the rule first fires, the first event is CRITICAL;
//   - de-escalation sends nothing: once CRITICAL, the alert keeps that
//     severity until it resolves, so a value wandering around Critical
//     cannot produce a stream of escalations;
//   - it clears only when the value drops below the clear level
//     Warning − |Warning|·Hysteresis (Warning·(1−Hysteresis) for positive
//     lines), sending one RESOLVED event with the time since firing and the
//     peak value; a value hovering around Warning therefore notifies once;
//   - while firing it repeats the notification (Repeat true) every
//     RepeatInterval since the last notification; 0 disables repeats.
//
// Critical below Warning, or NaN, disables the critical level. Hysteresis
// outside [0, 1) counts as 0; a negative For counts as 0.
type Rule struct {
	Name, Metric, Unit string        // Name identifies the rule; Metric and Unit label the value in messages
	Warning, Critical  float64       // lines, "higher is worse"
	For                time.Duration // how long a breach must hold before it notifies
	RepeatInterval     time.Duration // re-notify while firing; 0: never
	Hysteresis         float64       // fraction of Warning below it the value must fall to clear
}

// State is a rule's memory between evaluations. Callers persist it as JSON
// so that an alert survives a restart: evaluating on the unmarshalled copy
// continues exactly where the original left off.
type State struct {
	Status        Status    `json:"status"`
	Severity      Severity  `json:"severity,omitempty"`      // severity notified while firing
	PendingSince  time.Time `json:"pending_since,omitzero"`  // start of the current breach of Warning
	CriticalSince time.Time `json:"critical_since,omitzero"` // start of the current breach of Critical
	FiringSince   time.Time `json:"firing_since,omitzero"`   // when the alert fired
	LastNotified  time.Time `json:"last_notified,omitzero"`  // last firing, escalation or repeat event
	Peak          float64   `json:"peak"`                    // highest value since the breach began; 0 when inactive
	Last          float64   `json:"last"`                    // last value observed
	UpdatedAt     time.Time `json:"updated_at,omitzero"`     // when Last was observed
}

// Event is a notification: an alert firing, escalating, repeating or
// resolving, or an informational status change.
//
// Since is, for the first firing event, when the value first crossed
// Warning (the start of the pending period); for escalation, repeat and
// resolved events, when the alert fired. Duration is At − Since.
// Threshold is the line that was crossed: Warning or Critical for firing
// events, the clear level for resolved ones.
type Event struct {
	Rule, Metric, Unit string
	Severity           Severity
	State              string // "firing", "resolved" or "info"
	Value              float64
	Threshold          float64
	Peak               float64
	Since, At          time.Time
	Duration           time.Duration
	Repeat             bool
	Message            string
}

// Clear returns the level the value must fall below for a firing alert to
// resolve.
func (r Rule) Clear() float64 {
	h := r.Hysteresis
	if !(h >= 0 && h < 1) {
		h = 0
	}
	return r.Warning - math.Abs(r.Warning)*h
}

func (r Rule) hasCritical() bool { return r.Critical >= r.Warning }

// Evaluate returns the rule's state after observing v at now, and the event
// to send when fire is true. It reads no clock and performs no I/O. A NaN or
// infinite v means "no data" and returns prev unchanged, as does a rule whose
// Warning is not a finite number. When nothing is to be sent, ev is the zero
// Event and Evaluate does not allocate.
func (r Rule) Evaluate(prev State, v float64, now time.Time) (next State, ev Event, fire bool) {
	if !finite(v) || !finite(r.Warning) {
		return prev, Event{}, false
	}
	hold := max(r.For, 0)
	next = prev
	next.Last, next.UpdatedAt = v, now
	above := v >= r.Warning
	crit := r.hasCritical() && v >= r.Critical

	if next.Status != StatusPending && next.Status != StatusFiring {
		if !above {
			return State{Status: StatusInactive, Last: v, UpdatedAt: now}, Event{}, false
		}
		next.Status, next.Severity = StatusPending, ""
		next.PendingSince, next.CriticalSince = now, time.Time{}
		next.FiringSince, next.LastNotified = time.Time{}, time.Time{}
		next.Peak = v
	}

	if next.Status == StatusFiring && v < r.Clear() {
		ev = r.event(prev, EventResolved, prev.Severity, v, r.Clear(), prev.FiringSince, now)
		ev.Message = fmt.Sprintf("%s resolved after %s: now %s, below %s (peak %s)",
			r.label(), HumanDuration(ev.Duration), FormatValue(v, r.Unit),
			FormatValue(ev.Threshold, r.Unit), FormatValue(ev.Peak, r.Unit))
		return State{Status: StatusInactive, Last: v, UpdatedAt: now}, ev, true
	}
	if next.Status == StatusPending && !above {
		return State{Status: StatusInactive, Last: v, UpdatedAt: now}, Event{}, false
	}

	next.Peak = math.Max(next.Peak, v)
	if crit {
		if next.CriticalSince.IsZero() {
			next.CriticalSince = now
		}
	} else {
		next.CriticalSince = time.Time{}
	}
	critHeld := crit && now.Sub(next.CriticalSince) >= hold

	switch {
	case next.Status == StatusPending:
		if now.Sub(next.PendingSince) < hold {
			return next, Event{}, false
		}
		sev, line := SeverityWarning, r.Warning
		if critHeld {
			sev, line = SeverityCritical, r.Critical
		}
		next.Status, next.Severity = StatusFiring, sev
		next.FiringSince, next.LastNotified = now, now
		ev = r.event(next, EventFiring, sev, v, line, next.PendingSince, now)
		ev.Message = fmt.Sprintf("%s is %s, at or above the %s line of %s for %s",
			r.label(), FormatValue(v, r.Unit), sev, FormatValue(line, r.Unit), HumanDuration(ev.Duration))
		return next, ev, true

	case next.Severity != SeverityCritical && critHeld:
		next.Severity, next.LastNotified = SeverityCritical, now
		ev = r.event(next, EventFiring, SeverityCritical, v, r.Critical, next.FiringSince, now)
		ev.Message = fmt.Sprintf("%s escalated to critical: %s, at or above %s (firing for %s)",
			r.label(), FormatValue(v, r.Unit), FormatValue(r.Critical, r.Unit), HumanDuration(ev.Duration))
		return next, ev, true

	case r.RepeatInterval > 0 && now.Sub(next.LastNotified) >= r.RepeatInterval:
		next.LastNotified = now
		line := r.Warning
		if next.Severity == SeverityCritical {
			line = r.Critical
		}
		ev = r.event(next, EventFiring, next.Severity, v, line, next.FiringSince, now)
		ev.Repeat = true
		ev.Message = fmt.Sprintf("%s still %s after %s: now %s (peak %s)",
			r.label(), next.Severity, HumanDuration(ev.Duration), FormatValue(v, r.Unit), FormatValue(next.Peak, r.Unit))
		return next, ev, true
	}
	return next, Event{}, false
}

func (r Rule) event(s State, state string, sev Severity, v, line float64, since, now time.Time) Event {
	return Event{
		Rule: r.Name, Metric: r.Metric, Unit: r.Unit, Severity: sev, State: state,
		Value: v, Threshold: line, Peak: s.Peak, Since: since, At: now, Duration: now.Sub(since),
	}
}

func (r Rule) label() string {
	if r.Metric != "" {
		return r.Metric
	}
	return r.Name
}

// Info returns an informational event for a normal status change, such as
// "agent started" or "Discord reachable again".
func Info(rule, message string, now time.Time) Event {
	return Event{Rule: rule, Severity: SeverityInfo, State: EventInfo, Since: now, At: now, Message: message}
}

// Names of the default rules.
const (
	RuleCPU      = "cpu_percent"
	RuleMemory   = "memory_percent"
	RuleResponse = "response_ms"
	RuleNetwork  = "network_ms"
	RuleDisk     = "disk_percent"
)

// DefaultRules returns the standard rules on CPU %, memory %, response time
// (ms) and network latency (ms), in that order, each with the given
// thresholds, hold duration, repeat interval and hysteresis. DESIGN §4's
// defaults are CPU 70/85, memory 75/90, response 2000/5000, network 200/500.
// The caller feeds each rule the value named by its Name.
func DefaultRules(cpu, memory, response, network Thresholds, hold, repeat time.Duration, hysteresis float64) []Rule {
	mk := func(name, metric, unit string, t Thresholds) Rule {
		return Rule{Name: name, Metric: metric, Unit: unit, Warning: t.Warning, Critical: t.Critical,
			For: hold, RepeatInterval: repeat, Hysteresis: hysteresis}
	}
	return []Rule{
		mk(RuleCPU, "CPU usage", "%", cpu),
		mk(RuleMemory, "memory usage", "%", memory),
		mk(RuleResponse, "response time", "ms", response),
		mk(RuleNetwork, "network latency", "ms", network),
	}
}

// DiskRule returns the "disk_percent" rule on the fullest filesystem's usage
// (%), to append to DefaultRules when a disk threshold is configured.
func DiskRule(t Thresholds, hold, repeat time.Duration, hysteresis float64) Rule {
	return Rule{Name: RuleDisk, Metric: "disk usage", Unit: "%", Warning: t.Warning, Critical: t.Critical,
		For: hold, RepeatInterval: repeat, Hysteresis: hysteresis}
}
