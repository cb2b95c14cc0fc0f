package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/internal/storeapi"
	"github.com/nexusmon/nexusmon/report/build"
	"github.com/nexusmon/nexusmon/report/build/commands"
	"github.com/nexusmon/nexusmon/report/format"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// Priorities in the outbox: lower is sent first.
const (
	PriorityAlert  = 0 // alerts and command errors
	PriorityReport = 1
)

// Store is what the Reporter keeps in the embedded store: report history
// with each report's sample series for trends and charts (one transaction
// per report), read back for a report in one read of the series it needs,
// and alert state (namespace AlertNS), written with PutAll in one
// transaction. WriteStatus says whether writes fail, for the store_write
// alert, and Status describes the store in its alert.
// internal/store's *Store implements it.
type Store interface {
	// SaveReportAndSamples stores a report's data and its samples (values
	// by series, all at at; nil for none) together, in one transaction (a
	// store may commit several reports in it, later: its error can then be
	// an earlier commit's). data is the caller's again when it returns:
	// copy what is kept.
	SaveReportAndSamples(ctx context.Context, at time.Time, kind string, data []byte, values map[string]float64) error
	// SamplesBetween returns the samples of each named series with
	// from ≤ at ≤ to, oldest first, by series.
	SamplesBetween(ctx context.Context, from, to time.Time, series ...string) (map[string][]storeapi.Sample, error)
	Get(ctx context.Context, ns, key string) ([]byte, bool, error)
	PutAll(ctx context.Context, kv []KV) error
	Status() storeapi.Status
	// WriteStatus returns Status().Writable and Status().WriteErrors, and
	// must be cheap: it is read after every report.
	WriteStatus() (writable bool, writeErrors int64)
}

// KV is one state write: Value under NS and Key.
type KV = storeapi.KV

// Message is one report handed to the Discord delivery, not yet rendered:
// the queue renders Report for Discord (its Silent flag already set as
// Options.SilentReports asks).
type Message struct {
	Kind     reportdata.Kind
	Priority int
	EditKey  string // "" for a post; the live message's key in edit mode
	Report   *reportdata.Report
}

// Queue is the Discord delivery's intake. Enqueue persists the message and
// returns without touching the network; it is safe for concurrent use.
type Queue interface {
	Enqueue(ctx context.Context, m Message) error
}

// StateQueue is a Queue that can store key-value state in the same store
// transaction as messages. Commit persists ms and kv together, or neither;
// with no ms it writes kv alone, in its place among the queued messages.
// A message that cannot be rendered is left out and its error returned, its
// state written all the same. The Reporter hands it each alert's message
// with the rule state that records the alert as notified.
type StateQueue interface {
	Queue
	Commit(ctx context.Context, kv []KV, ms ...Message) error
}

// StatsSource reports delivery figures for the system report; Queue
// implementations may implement it.
type StatsSource interface {
	Stats() build.DeliveryStats
}

// ErrNotDurable is wrapped by the error of an Enqueue or Commit whose
// messages and state the store could not write (a full disk, for example).
// They are queued in memory (bounded, alerts first), delivered from there,
// and moved into the outbox, the state with them, as soon as the store can
// write again. A restart before that loses them.
var ErrNotDurable = errors.New("queued in memory only, the store cannot write")

// Console writes a report as human-readable text (render.Console).
type Console interface {
	WriteReport(rep *reportdata.Report) error
}

// Options configure a Reporter. Zero values are usable: no store, no queue,
// no console, no events file, the default thresholds of DESIGN §4 (and disk
// 80/90 %) for every pair left zero, and alerts that fire at once.
type Options struct {
	Host       string
	Thresholds reportdata.Thresholds
	Alerts     AlertOptions
	Modes      map[reportdata.Kind]reportdata.Mode // kind → mode; absent means post
	Store      Store                               // history, samples and alert state; nil keeps nothing
	Queue      Queue                               // Discord delivery; nil sends nothing to Discord
	Console    Console                             // human-readable reports; nil for none
	Events     io.Writer                           // JSONL envelopes, one per line; nil for none
	// Chart draws the health report's chart (render/chart.Render); nil
	// leaves the chart out.
	Chart  func(reportdata.HealthChart) ([]byte, error)
	Logger *slog.Logger
	Now    func() time.Time
	// SilentReports posts routine reports (Report.Routine) without push
	// notifications (Discord's SUPPRESS_NOTIFICATIONS flag); alerts and
	// command errors notify either way. Off by default here; the
	// configuration's discord.silent_reports defaults to on.
	SilentReports bool
	// Augment adds points from outside the snapshot's source (the OTLP
	// receiver's, the command instruments' top guilds and channels) to
	// each snapshot Collect and BuildNow get for report kind, before the
	// report is built; nil adds nothing.
	Augment func(kind Kind, s *Snapshot)
}

// Reporter builds every report kind from collections, keeps history, and
// publishes reports to the console, the events file and the Discord queue.
// Each report reader gets its own exporter (sdkadapter.NewExporter), which
// hands every collection to Collect.
type Reporter struct {
	opts     Options
	log      *slog.Logger
	shutting atomic.Bool

	outMu     sync.Mutex // serialises console and events writes
	eventLine []byte     // the events file line's buffer, under outMu

	mu     sync.Mutex
	latest map[reportdata.Kind]*reportdata.Report

	errors     atomic.Int64
	lateQueue  atomic.Pointer[queueBox]            // set by SetQueue; wins over Options.Queue
	lastExport atomic.Int64                        // unix nanoseconds of the newest export handled
	lastSnap   atomic.Pointer[reportdata.Snapshot] // the newest snapshot any reader exported: BuildNow's baseline

	alerts *alertEngine
	// live holds what Reconfigure may change: Options' Thresholds, Modes
	// and SilentReports as of the last reconfiguration.
	live atomic.Pointer[Settings]
}

// NewReporter returns a Reporter. It loads the persisted alert state from
// opts.Store, so an alert firing before a restart is neither sent again
// nor forgotten; a state that cannot be read is logged and starts fresh.
func NewReporter(opts Options) *Reporter {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Thresholds = opts.Thresholds.WithDefaults()
	r := &Reporter{opts: opts, log: opts.Logger, latest: map[reportdata.Kind]*reportdata.Report{}}
	r.alerts = newAlertEngine(opts.Thresholds, opts.Alerts)
	r.live.Store(&Settings{Thresholds: opts.Thresholds, Alerts: opts.Alerts, Modes: maps.Clone(opts.Modes), SilentReports: opts.SilentReports})
	r.loadAlerts(context.Background())
	return r
}

// BeginShutdown makes every Exporter ignore further exports, so that the
// final collection MeterProvider.Shutdown triggers posts no duplicate report.
func (r *Reporter) BeginShutdown() { r.shutting.Store(true) }

// Latest returns the newest report of event, or nil.
func (r *Reporter) Latest(event reportdata.Kind) *reportdata.Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.latest[event]
}

// LastExport returns when a reader last handed the Reporter a collection.
func (r *Reporter) LastExport() time.Time {
	if ns := r.lastExport.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// Errors returns how many publish steps failed (store, events file, queue).
func (r *Reporter) Errors() int64 { return r.errors.Load() }

// Mode returns the configured mode of event.
func (r *Reporter) Mode(event reportdata.Kind) reportdata.Mode {
	if m, ok := r.live.Load().Modes[event]; ok && m != "" {
		return m
	}
	return reportdata.ModePost
}

// Publish stores rep and sends it to every output. Alerts and errors pass
// priority PriorityAlert. It never waits on the network.
func (r *Reporter) Publish(ctx context.Context, rep *reportdata.Report, priority int) error {
	_, err := r.publish(ctx, rep, priority, nil, nil)
	return err
}

// publish is Publish; samples are stored with rep (one transaction); kv,
// when the queue is a StateQueue, is committed with rep's message, and
// taken says it was handed over.
func (r *Reporter) publish(ctx context.Context, rep *reportdata.Report, priority int, kv []KV, samples map[string]float64) (taken bool, _ error) {
	if !rep.Test {
		r.mu.Lock()
		r.latest[rep.Event] = rep
		r.mu.Unlock()
	}
	// The data is encoded once, into a buffer used again by later
	// reports: the store keeps a copy, the events file line wraps it in the
	// envelope.
	enc := dataEncoders.Get().(*dataEncoder)
	defer enc.release()
	data, err := enc.encode(rep.Data)
	if err != nil {
		return false, fmt.Errorf("marshal %s: %w", rep.Event, err)
	}
	// A report goes to every output or to none: a reader's export that is
	// in flight when MeterProvider.Shutdown cancels its context must not
	// reach the events file but miss the store and the outbox. The writes
	// are local and short.
	ctx = context.WithoutCancel(ctx)
	var errs []error
	if r.opts.Store != nil && !rep.Test {
		if err := r.opts.Store.SaveReportAndSamples(ctx, rep.Time, string(rep.Event), data, samples); err != nil {
			errs = append(errs, fmt.Errorf("store %s: %w", rep.Event, err))
		}
	}
	r.outMu.Lock()
	if r.opts.Console != nil {
		if err := r.opts.Console.WriteReport(rep); err != nil {
			errs = append(errs, fmt.Errorf("console: %w", err))
		}
	}
	if r.opts.Events != nil {
		r.eventLine = append(reportdata.AppendEnvelopeLine(r.eventLine[:0], rep, data), '\n')
		if _, err := r.opts.Events.Write(r.eventLine); err != nil {
			errs = append(errs, fmt.Errorf("events file: %w", err))
		}
		if cap(r.eventLine) > maxKeptBuffer {
			r.eventLine = nil
		}
	}
	r.outMu.Unlock()
	mode := r.Mode(rep.Event)
	if priority == PriorityAlert {
		mode = reportdata.ModePost
	}
	if q := r.queue(); q != nil && mode != reportdata.ModeOff {
		m := Message{Kind: rep.Event, Priority: priority, Report: r.ForChannel(rep)}
		if mode == reportdata.ModeEdit && !rep.Test {
			m.EditKey = string(rep.Event)
		}
		if sq, ok := q.(StateQueue); ok && len(kv) > 0 {
			err, taken = sq.Commit(ctx, kv, m), true
		} else {
			err = q.Enqueue(ctx, m)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("queue %s: %w", rep.Event, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		r.errors.Add(int64(len(errs)))
		r.log.Warn("publish report", "event", rep.Event, "err", err)
		return taken, err
	}
	return taken, nil
}

// ForChannel returns rep as it goes to the Discord channel: with Silent set
// on routine reports when Options.SilentReports is on (a copy; rep itself is
// not changed).
func (r *Reporter) ForChannel(rep *reportdata.Report) *reportdata.Report {
	if r.live.Load().SilentReports && !rep.Silent && rep.Routine() {
		c := *rep
		c.Silent = true
		rep = &c
	}
	return rep
}

// ShuttingDown reports whether BeginShutdown was called: readers' exports
// are then ignored.
func (r *Reporter) ShuttingDown() bool { return r.shutting.Load() }

// Collect handles one collection of the reader of event: cur is its newest
// snapshot (a zero Time is set to now), prev the one before (nil for the
// first). Publish failures (a full disk, a refused payload) are already
// logged and counted by the Reporter; Collect logs them at debug level and
// returns them: a reader's exporter need not report them again (the
// SDK would print each one through its global error handler).
func (r *Reporter) Collect(ctx context.Context, event reportdata.Kind, cur, prev *reportdata.Snapshot) error {
	if cur.Time.IsZero() {
		cur.Time = r.opts.Now().UTC()
	}
	if r.opts.Augment != nil {
		r.opts.Augment(event, cur)
	}
	err := r.handle(ctx, event, cur, prev)
	if err != nil {
		r.log.Debug("export", "event", event, "err", err)
	}
	return err
}

// handle builds and publishes the report of event from one collection:
// the alerts its snapshot carries values for first (each event published at
// once with PriorityAlert), then the report, then the sample series it owns.
func (r *Reporter) handle(ctx context.Context, event reportdata.Kind, cur, prev *reportdata.Snapshot) error {
	defer r.lastSnap.Store(cur) // BuildNow's baseline
	r.lastExport.Store(r.opts.Now().UnixNano())
	at := cur.Time.UTC()
	th := r.live.Load().Thresholds
	var errs []error
	alert := func(v *alertValues) {
		if err := r.evaluateAlerts(ctx, at, v); err != nil {
			errs = append(errs, err)
		}
	}
	var rep *reportdata.Report
	var samples map[string]float64
	switch event {
	case reportdata.EventSystem:
		d := build.BuildSystemData(cur, prev)
		v := systemAlertValues(d)
		alert(&v)
		if s, ok := r.queue().(StatsSource); ok {
			st := s.Stats()
			d.Delivery = &st
		}
		rep = build.SystemReport(d, at, r.opts.Host, th)
		samples = build.SystemSamples(d)
	case reportdata.EventNetwork:
		d := build.BuildNetworkData(cur, prev)
		v := noValues()
		v[ruleResponse], v[ruleNetwork] = build.APIResponseMS(d), build.NetworkMS(d)
		alert(&v)
		rep = build.NetworkReport(d, at, r.opts.Host, th)
		samples = build.NetworkSamples(d)
	case reportdata.EventMemory:
		d := build.BuildMemoryData(cur, prev, r.history(ctx, at, build.SeriesMemory, build.SeriesHeap, build.SeriesProcessRSS))
		v := noValues()
		v[ruleMemory] = format.Num(d.SystemMemory.Percent)
		alert(&v)
		rep = build.MemoryReport(d, at, r.opts.Host, th)
	case reportdata.EventCommands:
		rep = commands.CommandsReport(commands.BuildCommandData(cur, prev), at, r.opts.Host, th)
	case reportdata.EventHealth:
		var err error
		if rep, err = r.healthNow(ctx, cur, prev); err != nil {
			errs = append(errs, err)
		}
	default:
		return nil // an unknown report kind is collected but not published
	}
	if _, err := r.publish(ctx, rep, PriorityReport, nil, samples); err != nil {
		errs = append(errs, err)
	}
	if err := r.checkStore(ctx, at); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// systemAlertValues are the alert values a system report carries: CPU %
// (measured over an interval: none in the first report), memory % and the
// fullest filesystem's %; NaN for what is missing.
func systemAlertValues(d build.SystemData) alertValues {
	v := noValues()
	v[ruleCPU] = format.Num(d.SystemMetrics.CPU.Percent)
	v[ruleMemory] = format.Num(d.SystemMetrics.Memory.Percent)
	v[ruleDisk] = build.FullestDisk(d.SystemMetrics.Disk.Partitions)
	return v
}

// maxKeptBuffer is the largest buffer kept for the next report: an
// unusually large one is left to the garbage collector.
const maxKeptBuffer = 1 << 20

// dataEncoders hold the buffers reports' data are encoded into: publish
// runs for several report kinds at once, and a report's data is done with
// when publish returns.
var dataEncoders = sync.Pool{New: func() any {
	e := &dataEncoder{}
	e.enc = json.NewEncoder(&e.buf)
	return e
}}

type dataEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

// encode returns v encoded as json.Marshal encodes it, in e's buffer:
// valid until the next encode or release.
func (e *dataEncoder) encode(v any) ([]byte, error) {
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil { // Marshal's bytes and a newline
		return nil, err
	}
	return bytes.TrimSuffix(e.buf.Bytes(), []byte{'\n'}), nil
}

func (e *dataEncoder) release() {
	if e.buf.Cap() <= maxKeptBuffer {
		dataEncoders.Put(e)
	}
}

// healthNow builds the health report of cur, chart included. A chart that
// cannot be drawn is logged and left out: the report goes out without it.
func (r *Reporter) healthNow(ctx context.Context, cur, prev *reportdata.Snapshot) (*reportdata.Report, error) {
	at := cur.Time.UTC()
	d, ci := build.BuildHealthData(cur, prev, r.history(ctx, at, build.HealthSeries...), r.live.Load().Thresholds, r.ActiveAlerts())
	var png []byte
	var err error
	if r.opts.Chart != nil {
		png, err = r.opts.Chart(ci)
	}
	if err != nil {
		r.errors.Add(1)
		r.log.Warn("health chart", "err", err)
		err = fmt.Errorf("health chart: %w", err)
	}
	return build.HealthReport(d, at, r.opts.Host, png), err
}

// BuildNow builds the report of event from snap without publishing it,
// evaluating alerts or storing samples (for /nexus status and health and
// the test_reporting "data formatting" check). The system and health
// reports measure CPU and rates against the newest snapshot a reader
// exported (at most one system interval old); before the first export they
// have no interval, and CPU reads n/a as in the first report. The other
// reports count over the time since the instruments started. For the health report, a chart that cannot be drawn gives the
// report without its chart together with the error.
func (r *Reporter) BuildNow(ctx context.Context, event reportdata.Kind, snap *reportdata.Snapshot) (*reportdata.Report, error) {
	if snap == nil {
		return nil, fmt.Errorf("build %s: nil snapshot", event)
	}
	if r.opts.Augment != nil {
		r.opts.Augment(event, snap)
	}
	at, th, host := snap.Time.UTC(), r.live.Load().Thresholds, r.opts.Host
	prev := r.lastSnap.Load()
	if prev != nil && !prev.Time.Before(snap.Time) {
		prev = nil
	}
	switch event {
	case reportdata.EventSystem:
		return build.SystemReport(build.BuildSystemData(snap, prev), at, host, th), nil
	case reportdata.EventNetwork:
		return build.NetworkReport(build.BuildNetworkData(snap, nil), at, host, th), nil
	case reportdata.EventMemory:
		return build.MemoryReport(build.BuildMemoryData(snap, nil, r.history(ctx, at, build.SeriesMemory, build.SeriesHeap, build.SeriesProcessRSS)), at, host, th), nil
	case reportdata.EventCommands:
		return commands.CommandsReport(commands.BuildCommandData(snap, nil), at, host, th), nil
	case reportdata.EventHealth:
		return r.healthNow(ctx, snap, prev)
	default:
		return nil, fmt.Errorf("build %s: unknown report", event)
	}
}

// history reads the trend window before at of every named series from the
// store, in one read; without a store, or on a read error (logged,
// counted), every series is empty.
func (r *Reporter) history(ctx context.Context, at time.Time, series ...string) build.SeriesHistory {
	if r.opts.Store == nil {
		return nil
	}
	h := make(build.SeriesHistory, len(series))
	got, err := r.opts.Store.SamplesBetween(ctx, at.Add(-build.TrendWindow), at, series...)
	if err != nil {
		r.errors.Add(1)
		r.log.Warn("read samples", "series", series, "err", err)
		return h
	}
	for _, name := range series {
		ss := got[name]
		out := make([]health.Sample, len(ss))
		for i, s := range ss {
			out[i] = health.Sample{At: s.At, Value: s.Value}
		}
		h[name] = out
	}
	return h
}

type queueBox struct{ q Queue }

// SetQueue sets (or, with nil, removes) the Discord delivery after
// construction: the delivery's instruments need the MeterProvider whose
// readers need this Reporter. Safe for concurrent use.
func (r *Reporter) SetQueue(q Queue) { r.lateQueue.Store(&queueBox{q: q}) }

func (r *Reporter) queue() Queue {
	if b := r.lateQueue.Load(); b != nil {
		return b.q
	}
	return r.opts.Queue
}

// PublishError publishes a command error (or a digest) at alert priority.
func (r *Reporter) PublishError(ctx context.Context, rep *reportdata.Report) error {
	return r.Publish(ctx, rep, PriorityAlert)
}
