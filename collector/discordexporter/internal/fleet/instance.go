package fleet

import (
	"context"
	"math"
	"time"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/internal/storeapi"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/build"
	"github.com/nexusmon/nexusmon/report/build/commands"
)

// instance is one sender of a fleet: its own report.Reporter (so its
// figures come from the agent's builders and its alerts from the agent's
// alert engine, with state kept under the instance's key), its previous
// snapshot for rates, and when it last sent.
type instance struct {
	id       Identity
	key      string
	rep      *report.Reporter // nil until the instance sends after a restart
	prev     *report.Snapshot
	lastSeen time.Time // the gateway's clock
	silent   health.State
	row      Row
	// cmdBase and healthBase are the instance's snapshots at the previous
	// fleet command analysis and fleet health report (the first one the
	// gateway got from it before those): the start of their intervals.
	cmdBase, healthBase *report.Snapshot
}

// stateNS returns the namespace under which an instance keeps the report
// engine's namespace ns.
func stateNS(instKey, ns string) string { return "i/" + instKey + "/" + ns }

// newReporter returns the instance's Reporter: every report kind off (the
// fleet posts its own reports), alerts on, published through q with the
// instance named, state in st under the instance's key.
func (f *Fleet) newReporter(id Identity) *report.Reporter {
	off := map[report.Kind]report.Mode{}
	for k := range report.DefaultModes() {
		off[k] = report.ModeOff
	}
	key := id.Key()
	return report.NewReporter(report.Options{
		Host:       id.Group + " · " + id.Label(),
		Thresholds: f.cfg.Thresholds,
		Alerts:     f.cfg.AlertOptions,
		Modes:      off,
		Store:      instanceStore{o: f.state, key: key},
		Queue:      instanceQueue{q: f.queue, key: key, id: id},
		Logger:     f.log,
		Now:        f.now,
		// The overview is what may be silent; an alert always notifies.
		SilentReports: false,
	})
}

// instanceStore is the report engine's Store for one instance: alert
// state under the instance's key in the exporter's storage. The gateway
// keeps no report history or sample series (the fleet health report's
// trend compares with its previous report's scores instead), and the
// store_write rule is the
// exporter's, not each instance's, so Status reports a writable store.
type instanceStore struct {
	o   StateStore
	key string
}

// StateStore is the state half of the outbox.
type StateStore interface {
	Get(ctx context.Context, ns, key string) ([]byte, bool, error)
	EnqueueWith(ctx context.Context, kv []storeapi.KV, msgs ...storeapi.Message) ([]int64, int, error)
}

func (s instanceStore) SaveReportAndSamples(context.Context, time.Time, string, []byte, map[string]float64) error {
	return nil
}

func (s instanceStore) SamplesBetween(context.Context, time.Time, time.Time, ...string) (map[string][]storeapi.Sample, error) {
	return nil, nil
}

func (s instanceStore) Get(ctx context.Context, ns, key string) ([]byte, bool, error) {
	return s.o.Get(ctx, stateNS(s.key, ns), key)
}

func (s instanceStore) PutAll(ctx context.Context, kv []report.KV) error {
	_, _, err := s.o.EnqueueWith(ctx, prefixKV(s.key, kv))
	return err
}

func (s instanceStore) Status() storeapi.Status { return storeapi.Status{OK: true, Writable: true} }

func (s instanceStore) WriteStatus() (writable bool, writeErrors int64) { return true, 0 }

func prefixKV(instKey string, kv []report.KV) []report.KV {
	out := make([]report.KV, len(kv))
	for i, w := range kv {
		out[i] = report.KV{NS: stateNS(instKey, w.NS), Key: w.Key, Value: w.Value}
	}
	return out
}

// instanceQueue hands an instance's alerts to the delivery with the
// instance named in the title and in the data, and its state written
// under the instance's key in the same commit.
type instanceQueue struct {
	q   report.StateQueue
	key string
	id  Identity
}

// InstanceAlertData is a fleet alert's data: the agent's alert data and
// the instance it is about.
type InstanceAlertData struct {
	report.AlertData
	Instance Identity `json:"instance"`
}

func (q instanceQueue) name(m report.Message) report.Message {
	if m.Report == nil || m.Report.Event != report.EventAlert {
		return m
	}
	r := *m.Report
	r.Title = q.id.Label() + " · " + r.Title
	if d, ok := r.Data.(report.AlertData); ok {
		r.Data = InstanceAlertData{AlertData: d, Instance: q.id}
	}
	m.Report = &r
	return m
}

func (q instanceQueue) Enqueue(ctx context.Context, m report.Message) error {
	return q.q.Enqueue(ctx, q.name(m))
}

func (q instanceQueue) Commit(ctx context.Context, kv []report.KV, ms ...report.Message) error {
	named := make([]report.Message, len(ms))
	for i, m := range ms {
		named[i] = q.name(m)
	}
	return q.q.Commit(ctx, prefixKV(q.key, kv), named...)
}

// Row is one instance's line in the fleet overview (and its JSON).
type Row struct {
	Group            string    `json:"group"`
	Instance         string    `json:"instance"`
	ID               Identity  `json:"id"`
	Status           string    `json:"status"` // ok, alerting, silent, waiting (no data since the gateway started)
	Level            string    `json:"level"`
	Score            *float64  `json:"score"`
	CPUPercent       *float64  `json:"cpu_percent"`
	MemoryPercent    *float64  `json:"memory_percent"`
	LatencyMS        *float64  `json:"gateway_latency_ms"`
	Guilds           *int64    `json:"guilds"`
	CommandsPerMin   *float64  `json:"commands_per_min"`
	ErrorRatePercent *float64  `json:"error_rate_percent"`
	ActiveAlerts     int       `json:"active_alerts"`
	LastSeen         time.Time `json:"last_seen"`

	level health.Level
}

// Row statuses.
const (
	StatusOK       = "ok"
	StatusAlerting = "alerting"
	StatusSilent   = "silent"
	StatusWaiting  = "waiting"
)

// figures fills the row's figures from the instance's latest reports (the
// agent's builders): host CPU and memory %, gateway latency and guilds
// from the system report, commands per minute and error rate from the
// command analysis of the same interval. The level is the worst of the
// CPU, memory and latency scores against the thresholds.
func figures(row *Row, rep *report.Reporter, th report.Thresholds) {
	if r := rep.Latest(report.EventSystem); r != nil {
		if d, ok := r.Data.(build.SystemData); ok {
			row.CPUPercent = d.SystemMetrics.CPU.Percent
			row.MemoryPercent = d.SystemMetrics.Memory.Percent
			row.LatencyMS = d.BotMetrics.LatencyMS
			row.Guilds = d.BotMetrics.Guilds
		}
	}
	row.CommandsPerMin, row.ErrorRatePercent = nil, nil
	if r := rep.Latest(report.EventCommands); r != nil {
		if d, ok := r.Data.(commands.CommandData); ok && d.IntervalSeconds > 0 {
			perMin := roundTo(float64(d.Totals.Executions)/d.IntervalSeconds*60, 2)
			row.CommandsPerMin = &perMin
			if d.Totals.Executions > 0 {
				e := roundTo(100*float64(d.Totals.Failures)/float64(d.Totals.Executions), 2)
				row.ErrorRatePercent = &e
			}
		}
	}
	score := math.NaN()
	for _, s := range []float64{
		health.Score(val(row.CPUPercent), th.CPU),
		health.Score(val(row.MemoryPercent), th.Memory),
		health.Score(val(row.LatencyMS), th.Network),
	} {
		if !math.IsNaN(s) && (math.IsNaN(score) || s < score) {
			score = s
		}
	}
	row.Score, row.level, row.Level = nil, health.Excellent, ""
	if !math.IsNaN(score) {
		sc := roundTo(score, 1)
		row.Score, row.level = &sc, health.LevelOf(score)
		row.Level = row.level.String()
	}
	row.ActiveAlerts = len(rep.ActiveAlerts())
}

func val[T ~int64 | ~float64](p *T) float64 {
	if p == nil {
		return math.NaN()
	}
	return float64(*p)
}

func roundTo(v float64, dec int) float64 {
	p := math.Pow(10, float64(dec))
	return math.Round(v*p) / p
}
