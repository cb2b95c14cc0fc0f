package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/internal/storeapi"
	"github.com/nexusmon/nexusmon/report/format"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// Alerting: one health.Rule per threshold, evaluated on every snapshot that
// carries the rule's value, with state persisted in the store so that a
// restart neither re-fires nor forgets an alert.
//
// The values, and the reports whose snapshots carry them:
//
//	cpu_percent     host CPU busy % over the reader's interval       system (not the first one after start: it would be the average since boot)
//	memory_percent  host memory in use (total − available) %         system, memory
//	disk_percent    the fullest filesystem's used %                   system
//	response_ms     the Discord API probe's total time                network (a timed-out probe counts with the time it waited; other failures carry no value)
//	network_ms      the gateway heartbeat latency when a bot session   network
//	                is attached, else the median total time of the
//	                internet probes that succeeded
//	store_write     1 while the store cannot write (a write failed      every report, after it is published
//	                since the last check), else 0; CRITICAL at once
//
// A rule whose thresholds are not usable (warning ≤ 0) is not evaluated.

// AlertOptions configure the alert rules; the thresholds come from
// Options.Thresholds. The zero value fires as soon as a line is crossed,
// never repeats and clears exactly at the warning line.
type AlertOptions struct {
	For            time.Duration // how long a breach must hold before it notifies
	RepeatInterval time.Duration // re-notify while firing; 0: never
	Hysteresis     float64       // a firing alert clears below Warning·(1−Hysteresis); 0 ≤ h < 1
	Disabled       bool          // evaluate nothing, send no alert
}

// AlertNS is the store KV namespace of alert state; keys are rule names.
const AlertNS = "alerts"

// Rule indexes of the engine; alertValues are in this order.
const (
	ruleCPU = iota
	ruleMemory
	ruleDisk
	ruleResponse
	ruleNetwork
	ruleStore
	numRules
)

// RuleStore is the name of the rule that fires while the store cannot
// write.
const RuleStore = "store_write"

// alertValues are one snapshot's values by rule index; NaN means the
// snapshot does not carry the value.
type alertValues [numRules]float64

func noValues() alertValues {
	var v alertValues
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}

// alertEngine holds the rules and their states. Evaluation, state changes
// and their persistence happen under mu, so concurrent readers see and
// store states in order.
type alertEngine struct {
	// rules is swapped whole by setRules (a reload); the states, indexed
	// like the rules, stay.
	rules atomic.Pointer[ruleSet]

	mu     sync.Mutex
	states [numRules]health.State
	dirty  [numRules]bool // the state changed but could not be saved

	storeMu     sync.Mutex // serialises checkStore
	storeWrites int64      // the store's failed writes at the last check
}

// ruleSet is the rules built from one configuration.
type ruleSet struct {
	rules   [numRules]health.Rule
	enabled [numRules]bool
}

func newAlertEngine(th reportdata.Thresholds, o AlertOptions) *alertEngine {
	e := &alertEngine{}
	e.rules.Store(newRuleSet(th, o))
	return e
}

func newRuleSet(th reportdata.Thresholds, o AlertOptions) *ruleSet {
	s := &ruleSet{}
	d := health.DefaultRules(th.CPU, th.Memory, th.Response, th.Network, o.For, o.RepeatInterval, o.Hysteresis)
	s.rules[ruleCPU], s.rules[ruleMemory], s.rules[ruleResponse], s.rules[ruleNetwork] = d[0], d[1], d[2], d[3]
	s.rules[ruleDisk] = health.DiskRule(th.Disk, o.For, o.RepeatInterval, o.Hysteresis)
	// A store that cannot write is critical at once: every report and alert
	// from then on is only in memory.
	s.rules[ruleStore] = health.Rule{Name: RuleStore, Metric: "store writes failing", Warning: 1, Critical: 1, RepeatInterval: o.RepeatInterval}
	for i, r := range s.rules {
		s.enabled[i] = !o.Disabled && r.Warning > 0 && !math.IsInf(r.Warning, 0)
	}
	return s
}

// setRules replaces the rules; each rule keeps its state (a firing alert
// stays firing and is evaluated against its new lines from the next
// snapshot on).
func (e *alertEngine) setRules(th reportdata.Thresholds, o AlertOptions) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rules.Store(newRuleSet(th, o))
}

// alertStep is the outcome of evaluating one snapshot.
type alertStep struct {
	fired   [numRules]bool
	events  [numRules]health.Event
	changed [numRules]bool
	states  [numRules]health.State
}

// evaluate runs every enabled rule that has a value in v at at. It does not
// allocate when nothing fires and no state changes.
func (e *alertEngine) evaluate(at time.Time, v *alertValues, step *alertStep) {
	rs := e.rules.Load()
	for i := range rs.rules {
		if !rs.enabled[i] || math.IsNaN(v[i]) {
			continue
		}
		prev := e.states[i]
		t := at
		if t.Before(prev.UpdatedAt) {
			t = prev.UpdatedAt // readers run concurrently: never step back in time
		}
		next, ev, fire := rs.rules[i].Evaluate(prev, v[i], t)
		e.states[i] = next
		if fire {
			step.fired[i], step.events[i] = true, ev
		}
		if significant(prev) != significant(next) || e.dirty[i] {
			step.changed[i], step.states[i] = true, next
		}
	}
}

// significant is a state without the fields every evaluation updates, so
// that the store is written when the alert's standing changes, not on
// every snapshot.
func significant(s health.State) health.State {
	s.Last, s.UpdatedAt = 0, time.Time{}
	return s
}

// active returns the firing alerts, critical first, then by rule name.
func (e *alertEngine) active() []reportdata.AlertStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := []reportdata.AlertStatus{}
	for i, s := range e.states {
		if s.Status != health.StatusFiring {
			continue
		}
		r := e.rules.Load().rules[i]
		line := r.Warning
		if s.Severity == health.SeverityCritical {
			line = r.Critical
		}
		out = append(out, reportdata.AlertStatus{Rule: r.Name, Metric: r.Metric, Severity: string(s.Severity), Value: s.Last,
			Unit: r.Unit, Threshold: line, Peak: s.Peak, Since: s.FiringSince.UTC()})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Severity != out[j].Severity {
			return out[i].Severity == string(health.SeverityCritical)
		}
		return out[i].Rule < out[j].Rule
	})
	return out
}

// loadAlerts reads every rule's persisted state. A missing state is a
// fresh rule; an unreadable one is logged, counted and started fresh.
func (r *Reporter) loadAlerts(ctx context.Context) {
	if r.opts.Store == nil {
		return
	}
	e := r.alerts
	_, e.storeWrites = r.opts.Store.WriteStatus()
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, rule := range e.rules.Load().rules {
		b, ok, err := r.opts.Store.Get(ctx, AlertNS, rule.Name)
		if err == nil && ok {
			var s health.State
			if err = json.Unmarshal(b, &s); err == nil {
				e.states[i] = s
			}
		}
		if err != nil {
			r.errors.Add(1)
			r.log.Warn("load alert state", "rule", rule.Name, "err", err)
		}
	}
}

// evaluateAlerts evaluates v at at and publishes every event as an alert
// report (PriorityAlert), before the caller publishes its own report. An
// event's new rule state is handed to the queue with its message
// (StateQueue.Commit: one store transaction), so a crash can never leave an
// alert recorded as notified but unsent; other changed states are saved
// after. Evaluation, publishing and saving happen under e.mu, so concurrent
// readers store states and queue alerts in order.
func (r *Reporter) evaluateAlerts(ctx context.Context, at time.Time, v *alertValues) error {
	e := r.alerts
	var step alertStep
	e.mu.Lock()
	defer e.mu.Unlock()
	e.evaluate(at, v, &step)
	var errs []error
	var save []int // rules whose changed state is still to be saved
	for i := range step.fired {
		if !step.fired[i] {
			if step.changed[i] {
				save = append(save, i)
			}
			continue
		}
		var kv []KV
		if step.changed[i] {
			kv = r.stateKV(i, step.states[i], &errs)
		}
		taken, err := r.publish(ctx, r.eventReport(i, step.events[i]), PriorityAlert, kv, nil)
		if err != nil {
			errs = append(errs, err)
		}
		if step.changed[i] && !taken {
			save = append(save, i) // after the message: at least once
		}
	}
	var kv []KV
	for _, i := range save {
		kv = append(kv, r.stateKV(i, step.states[i], &errs)...)
	}
	if err := r.saveState(ctx, kv); err != nil {
		r.errors.Add(1)
		errs = append(errs, fmt.Errorf("save alert state: %w", err))
		if !errors.Is(err, ErrNotDurable) { // else the queue writes it once it can
			for _, i := range save {
				e.dirty[i] = true // saved again at the rule's next evaluation
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		r.log.Warn("alerts", "err", err)
		return err
	}
	return nil
}

// stateKV returns the store write of rule i's state s; none without a
// store, or when s cannot be encoded (added to errs).
func (r *Reporter) stateKV(i int, s health.State, errs *[]error) []KV {
	if r.opts.Store == nil {
		return nil
	}
	name := r.alerts.rules.Load().rules[i].Name
	b, err := json.Marshal(s)
	if err != nil {
		r.errors.Add(1)
		*errs = append(*errs, fmt.Errorf("save alert state %s: %w", name, err))
		return nil
	}
	r.alerts.dirty[i] = false
	return []KV{{NS: AlertNS, Key: name, Value: b}}
}

// saveState writes alert state without a message: through the queue when
// it can take state (so the write keeps its place among queued messages),
// else straight into the store.
func (r *Reporter) saveState(ctx context.Context, kv []KV) error {
	if len(kv) == 0 {
		return nil
	}
	ctx = context.WithoutCancel(ctx) // as Publish: local and short
	if sq, ok := r.queue().(StateQueue); ok {
		return sq.Commit(ctx, kv)
	}
	return r.opts.Store.PutAll(ctx, kv)
}

// checkStore evaluates the store_write rule after a report was published:
// 1 when a write to the store failed since the last check or the last
// write failed, else 0. Its alerts go through the memory queue of the
// Delivery when the store cannot write.
func (r *Reporter) checkStore(ctx context.Context, at time.Time) error {
	if r.opts.Store == nil || !r.alerts.rules.Load().enabled[ruleStore] {
		return nil
	}
	e := r.alerts
	e.storeMu.Lock()
	defer e.storeMu.Unlock()
	writable, writeErrors := r.opts.Store.WriteStatus() // not Status: it may stat the file
	v := noValues()
	v[ruleStore] = 0
	if !writable || writeErrors != e.storeWrites {
		v[ruleStore] = 1
	}
	err := r.evaluateAlerts(ctx, at, &v)
	// Failures of the alert's own writes belong to this check, not the next.
	_, e.storeWrites = r.opts.Store.WriteStatus()
	return err
}

// eventReport turns rule i's event into its alert report.
func (r *Reporter) eventReport(i int, ev health.Event) *reportdata.Report {
	if i == ruleStore {
		return storeAlertReport(ev, r.opts.Store.Status(), r.queue() != nil, r.opts.Host)
	}
	rule := r.alerts.rules.Load().rules[i]
	return AlertReport(ev, &rule, r.opts.Host)
}

// storeAlertReport is the alert report of a store_write event: it names the
// store's directory and the class of the failure (storeapi.Class*), never
// the error's text. discord says whether Discord messages are queued (and
// so held in memory meanwhile).
func storeAlertReport(ev health.Event, st storeapi.Status, discord bool, host string) *reportdata.Report {
	dir := filepath.Dir(st.Path)
	class := st.WriteErrorClass
	if class == "" {
		class = storeapi.ClassOther
	}
	r := AlertReport(ev, nil, host)
	d := r.Data.(reportdata.AlertData)
	held, back := "history and alert state are not saved", ""
	if discord {
		held += " and Discord messages wait in memory, not durable"
		back = "; messages held in memory move back into the outbox"
	}
	switch {
	case ev.State == health.EventResolved:
		d.Message = fmt.Sprintf("the store writes to %s again after %s%s", dir, health.HumanDuration(ev.Duration), back)
		r.Title = "RESOLVED · store writes again"
	case ev.Repeat:
		d.Message = fmt.Sprintf("the store still cannot write to %s (%s) after %s: %s", dir, class, health.HumanDuration(ev.Duration), held)
		r.Title = "CRITICAL · store cannot write · " + strings.ReplaceAll(class, "_", " ") + " · still firing"
	default:
		d.Message = fmt.Sprintf("the store cannot write to %s (%s): until it can, %s", dir, class, held)
		r.Title = "CRITICAL · store cannot write · " + strings.ReplaceAll(class, "_", " ")
	}
	r.Data, r.Summary = d, d.Message
	r.Sections = []reportdata.Section{{Name: "Alert", Fields: []reportdata.Field{
		{Name: "Rule", Value: ev.Rule, Inline: true},
		{Name: "Severity", Value: string(ev.Severity), Inline: true},
		{Name: "Store", Value: dir, Inline: true},
		{Name: "Error", Value: class, Inline: true},
		{Name: "Since", Value: ev.Since.UTC().Format(time.RFC3339) + " (" + health.HumanDuration(ev.Duration) + ")", Inline: true},
	}}}
	return r
}

// ActiveAlerts returns the firing alerts (rule, severity, value, since),
// critical first: what /nexus alerts shows.
func (r *Reporter) ActiveAlerts() []reportdata.AlertStatus { return r.alerts.active() }

// Info publishes an informational alert (e.g. "agent started", "Discord
// reachable again") at once, with PriorityAlert.
func (r *Reporter) Info(ctx context.Context, rule, message string) error {
	ev := health.Info(rule, message, r.opts.Now().UTC())
	return r.Publish(ctx, AlertReport(ev, nil, r.opts.Host), PriorityAlert)
}

// TestAlert returns a synthetic CRITICAL memory alert, marked Test, for
// /nexus test_reporting: a value 5 % above the critical line evaluated by a
// copy of the memory rule from a fresh state, so the real alert state is
// never touched. The caller publishes it.
func (r *Reporter) TestAlert(ctx context.Context) (*reportdata.Report, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("test alert: %w", err)
	}
	rule := r.alerts.rules.Load().rules[ruleMemory] // a copy
	now := r.opts.Now().UTC()
	v := rule.Critical + 0.05*math.Abs(rule.Critical)
	var st health.State
	var ev health.Event
	fired := false
	for _, t := range []time.Time{now.Add(-max(rule.For, 0)), now} {
		if st, ev, fired = rule.Evaluate(st, v, t); fired {
			break
		}
	}
	if !fired {
		return nil, fmt.Errorf("test alert: rule %s did not fire on %s", rule.Name, health.FormatValue(v, rule.Unit))
	}
	rep := AlertReport(ev, &rule, r.opts.Host)
	rep.Test = true
	return rep, nil
}

// AlertReport turns an event into a report. rule (may be nil for info
// events) supplies the clear level shown for firing alerts.
func AlertReport(ev health.Event, rule *health.Rule, host string) *reportdata.Report {
	label := ev.Metric
	if label == "" {
		label = ev.Rule
	}
	d := reportdata.AlertData{
		Rule: ev.Rule, Metric: ev.Metric, Severity: string(ev.Severity), State: ev.State,
		Value: format.Round(ev.Value, 3), Unit: ev.Unit, Threshold: format.Round(ev.Threshold, 3), Since: ev.Since.UTC(),
		Peak: format.Round(ev.Peak, 3), DurationMS: ev.Duration.Milliseconds(), Repeat: ev.Repeat, Message: ev.Message,
	}
	r := &reportdata.Report{Event: reportdata.EventAlert, Time: ev.At.UTC(), Host: host, Data: d, Summary: ev.Message}
	value := health.FormatValue(ev.Value, ev.Unit)
	switch {
	case ev.State == health.EventInfo:
		r.Emoji, r.Level = "ℹ️", health.Excellent
		r.Title = "INFO · " + ev.Message
		r.Sections = []reportdata.Section{{Name: "Status", Fields: []reportdata.Field{
			{Name: "Event", Value: ev.Rule, Inline: true},
			{Name: "At", Value: ev.At.UTC().Format(time.RFC3339), Inline: true},
		}}}
		return r
	case ev.State == health.EventResolved:
		r.Emoji, r.Level = "✅", health.Excellent
		r.Title = "RESOLVED · " + label + " " + value
	case ev.Severity == health.SeverityCritical:
		r.Emoji, r.Level = "🚨", health.Critical
		r.Title = "CRITICAL · " + label + " " + value
	default:
		r.Emoji, r.Level = "⚠️", health.Fair
		r.Title = "WARNING · " + label + " " + value
	}
	if ev.Repeat {
		r.Title += " · still firing"
	}
	threshold := health.FormatValue(ev.Threshold, ev.Unit)
	if ev.State == health.EventFiring && rule != nil {
		threshold += " (clears below " + health.FormatValue(rule.Clear(), ev.Unit) + ")"
	}
	r.Sections = []reportdata.Section{{Name: "Alert", Fields: []reportdata.Field{
		{Name: "Rule", Value: ev.Rule, Inline: true},
		{Name: "Severity", Value: string(ev.Severity), Inline: true},
		{Name: "Value", Value: value, Inline: true},
		{Name: "Threshold", Value: threshold, Inline: true},
		{Name: "Peak", Value: health.FormatValue(ev.Peak, ev.Unit), Inline: true},
		{Name: "Since", Value: ev.Since.UTC().Format(time.RFC3339) + " (" + health.HumanDuration(ev.Duration) + ")", Inline: true},
	}}}
	return r
}
