package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/report"
)

// State the fleet keeps beside the instances' own alert state.
const (
	nsFleet      = "fleet"
	keyInstances = "instances" // every known instance: identity, last seen, silent alert state
	// RuleSilent is the rule of the alert an instance fires when it sends
	// nothing for silent_after overview intervals.
	RuleSilent = "instance_silent"
	// EventOverview is the fleet overview report's kind: its envelope's
	// event and its JSON attachment's name.
	EventOverview report.Kind = "fleet_overview"
)

// Fleet is every instance the exporter has heard of, with the reports
// built over them. Observe takes each export; Tick runs every overview
// interval: silent detection, then the overview of each group.
type Fleet struct {
	cfg     *Config
	log     *slog.Logger
	now     func() time.Time
	queue   report.StateQueue
	state   StateStore
	started time.Time
	silent  health.Rule

	mu   sync.Mutex
	inst map[string]*instance
	// lastCommands is when the previous fleet command analysis was built
	// (the start before).
	lastCommands time.Time
	// health is each group's previous fleet health report (its trends'
	// baseline), kept in the storage.
	health map[string]savedHealth
}

// savedInstance is an instance as kept in the storage.
type savedInstance struct {
	ID       Identity     `json:"id"`
	LastSeen time.Time    `json:"last_seen"`
	Silent   health.State `json:"silent"`
}

// New returns the fleet, with the instances (and their silent alert
// state) read back from st. An instance known before a restart counts as
// seen at the restart, so a gateway that was down is not mistaken for
// silent instances: they have silent_after intervals to send again.
func New(ctx context.Context, cfg *Config, q report.StateQueue, st StateStore, now func() time.Time, log *slog.Logger) (*Fleet, error) {
	t := now()
	f := &Fleet{cfg: cfg, log: log, now: now, queue: q, state: st, started: t, lastCommands: t, inst: map[string]*instance{},
		silent: health.Rule{Name: RuleSilent, Metric: "silent", Warning: 1, Critical: math.NaN()}}
	var err error
	if f.health, err = readHealth(ctx, st); err != nil {
		return nil, fmt.Errorf("read fleet health: %w", err)
	}
	b, ok, err := st.Get(ctx, nsFleet, keyInstances)
	if err != nil {
		return nil, fmt.Errorf("read instances: %w", err)
	}
	if ok {
		var saved []savedInstance
		if err := json.Unmarshal(b, &saved); err != nil {
			return nil, fmt.Errorf("read instances: %w", err)
		}
		for _, s := range saved {
			in := &instance{id: s.ID, key: s.ID.Key(), lastSeen: s.LastSeen, silent: s.Silent}
			in.row = Row{Group: s.ID.Group, Instance: s.ID.Label(), ID: s.ID, LastSeen: s.LastSeen}
			f.inst[in.key] = in
		}
	}
	return f, nil
}

// Observe handles one export: each instance's snapshot goes through its
// own Reporter (figures and alerts), and an instance that was silent is
// resolved. A snapshot not newer than the instance's last one (a retry,
// or data reordered by the pipeline) is ignored.
func (f *Fleet) Observe(ctx context.Context, snaps []InstanceSnapshot) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var errs []error
	var msgs []report.Message
	now := f.now()
	for _, s := range snaps {
		k := s.ID.Key()
		in := f.inst[k]
		if in == nil {
			in = &instance{id: s.ID, key: k}
			f.inst[k] = in
		}
		if in.prev != nil && !s.Snap.Time.After(in.prev.Time) {
			continue
		}
		if in.rep == nil {
			in.rep = f.newReporter(s.ID)
		}
		for _, kind := range []report.Kind{report.EventSystem, report.EventNetwork, report.EventCommands} {
			if err := in.rep.Collect(ctx, kind, s.Snap, in.prev); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", in.id.Label(), err))
			}
		}
		in.prev, in.lastSeen = s.Snap, now
		if in.cmdBase == nil {
			in.cmdBase = s.Snap
		}
		if in.healthBase == nil {
			in.healthBase = s.Snap
		}
		in.row = Row{Group: s.ID.Group, Instance: s.ID.Label(), ID: s.ID, LastSeen: now}
		figures(&in.row, in.rep, f.cfg.Thresholds)
		if m, ok := f.evalSilent(in, 0, now); ok {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) > 0 {
		kv, err := f.registry()
		if err != nil {
			errs = append(errs, err)
		}
		if err := f.queue.Commit(ctx, kv, msgs...); err != nil {
			errs = append(errs, fmt.Errorf("queue resolved silent alerts: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Tick runs silent detection and queues each group's overview, with the
// instances' state, in one commit.
func (f *Fleet) Tick(ctx context.Context) error {
	f.mu.Lock()
	now := f.now()
	limit := time.Duration(f.cfg.SilentAfter) * f.cfg.OverviewInterval
	var msgs []report.Message
	groups := map[string][]Row{}
	for _, in := range f.inst {
		// After a restart an instance gets silent_after intervals to send
		// again before it counts as silent; one already silent stays so
		// until it sends.
		v := 0.0
		if now.Sub(in.lastSeen) >= limit && (now.Sub(f.started) >= limit || in.silent.Status == health.StatusFiring) {
			v = 1
		}
		if m, ok := f.evalSilent(in, v, now); ok {
			msgs = append(msgs, m)
		}
		row := in.row
		switch {
		case in.silent.Status == health.StatusFiring:
			row.Status, row.level, row.Level = StatusSilent, health.Critical, health.Critical.String()
		case in.rep == nil:
			row.Status = StatusWaiting
		case row.ActiveAlerts > 0:
			row.Status = StatusAlerting
		default:
			row.Status = StatusOK
		}
		groups[in.id.Group] = append(groups[in.id.Group], row)
	}
	kv, err := f.registry()
	f.mu.Unlock()
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	sort.Slice(msgs, func(i, j int) bool { return msgs[i].Report.Title < msgs[j].Report.Title })
	if mode := f.cfg.OverviewMode; mode != report.ModeOff {
		names := make([]string, 0, len(groups))
		for g := range groups {
			names = append(names, g)
		}
		sort.Strings(names)
		for _, g := range names {
			rep := OverviewReport(g, groups[g], now.UTC())
			rep.Silent = f.cfg.SilentReports
			m := report.Message{Kind: EventOverview, Priority: report.PriorityReport, Report: rep}
			if mode == report.ModeEdit {
				m.EditKey = string(EventOverview) + "/" + url.PathEscape(g)
			}
			msgs = append(msgs, m)
		}
	}
	if err := f.queue.Commit(ctx, kv, msgs...); err != nil {
		errs = append(errs, fmt.Errorf("queue fleet reports: %w", err))
	}
	return errors.Join(errs...)
}

// evalSilent evaluates the silent rule of in with v (1 silent, 0 not) and
// returns the alert to send, if any. f.mu is held.
func (f *Fleet) evalSilent(in *instance, v float64, at time.Time) (report.Message, bool) {
	next, ev, fire := f.silent.Evaluate(in.silent, v, at)
	in.silent = next
	if !fire {
		return report.Message{}, false
	}
	return report.Message{Kind: report.EventAlert, Priority: report.PriorityAlert, Report: silentReport(ev, in, f.cfg)}, true
}

// silentReport is the alert report of an instance's silent rule: the
// agent's alert report, titled and worded for silence.
func silentReport(ev health.Event, in *instance, cfg *Config) *report.Report {
	label := in.id.Label()
	r := report.AlertReport(ev, nil, in.id.Group+" · "+label)
	d := r.Data.(report.AlertData)
	if ev.State == health.EventResolved {
		d.Message = fmt.Sprintf("%s (%s) is sending again after %s of silence", label, in.id.Group, health.HumanDuration(ev.Duration))
		r.Title = "RESOLVED · " + label + " is back"
	} else {
		d.Message = fmt.Sprintf("%s (%s) has sent nothing for %d overview intervals (%s)", label, in.id.Group,
			cfg.SilentAfter, health.HumanDuration(time.Duration(cfg.SilentAfter)*cfg.OverviewInterval))
		r.Title = "WARNING · " + label + " silent"
	}
	r.Summary = d.Message
	r.Data = InstanceAlertData{AlertData: d, Instance: in.id}
	r.Sections = []report.Section{{Name: "Alert", Fields: []report.Field{
		{Name: "Rule", Value: RuleSilent, Inline: true},
		{Name: "Instance", Value: label, Inline: true},
		{Name: "Group", Value: in.id.Group, Inline: true},
		{Name: "Last seen", Value: lastSeen(in.lastSeen), Inline: true},
	}}}
	return r
}

func lastSeen(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

// registry returns the state write of every known instance. f.mu is held.
func (f *Fleet) registry() ([]report.KV, error) {
	saved := make([]savedInstance, 0, len(f.inst))
	for _, in := range f.inst {
		saved = append(saved, savedInstance{ID: in.id, LastSeen: in.lastSeen, Silent: in.silent})
	}
	sort.Slice(saved, func(i, j int) bool { return saved[i].ID.Key() < saved[j].ID.Key() })
	b, err := json.Marshal(saved)
	if err != nil {
		return nil, fmt.Errorf("encode instances: %w", err)
	}
	return []report.KV{{NS: nsFleet, Key: keyInstances, Value: b}}, nil
}
