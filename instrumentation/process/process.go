package process

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/nexusmon/nexusmon/internal/collect"
	"github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/internal/procfs"
)

// StateNotFound is the process.state of the process.status point observed
// when the watched pid has no process: the point keeps the pid in the
// data while every other instrument is silent.
const StateNotFound = "not_found"

// memTotalTTL bounds how often MemTotal (for process.memory.utilization)
// is re-read; it changes only with memory hotplug or ballooning.
const memTotalTTL = 60 * time.Second

// Options configures Start. PID 0 and PIDFile "" follow the calling
// process; setting both is an error.
type Options struct {
	// PID is the process to follow.
	PID int
	// PIDFile names a file holding the pid to follow. It is re-read on
	// every collection, so a bot that restarts under a new pid is followed.
	PIDFile string
	// Logger receives one record per change of the collector's state
	// (process found, gone, pid file missing). Nil discards.
	Logger *slog.Logger
}

// Collector owns the process instruments registered on one MeterProvider.
// Its methods are safe for concurrent use.
type Collector struct {
	reg *collect.Registration
	pid atomic.Int64 // the pid followed; 0 when unknown

	mu       sync.Mutex // serialises collections
	fixedPID int
	pidFile  string
	procRoot string
	now      func() time.Time
	log      *slog.Logger
	state    string // last logged state, see record

	target     *target // the followed process; nil when none
	memTotal   uint64
	memTotalAt time.Time
	bootTime   int64 // btime of /proc/stat, read once
	buf        []byte
	socks      sockets              // the connection count's state
	exitedAs   string               // process.state of the exited process, for stateExited
	goneOpt    metric.ObserveOption // process.status of a missing process, for goneKey
	goneKey    string

	inst      instruments
	collector metric.MeasurementOption // nexusmon.collector="process"
}

// target is what is cached per followed pid: its start time, which tells
// this process from a later one that reuses the pid, and the attribute
// sets carrying process.pid.
type target struct {
	pid        int
	startTicks uint64
	created    float64 // seconds since the Unix epoch
	base       metric.ObserveOption
	cpu        [2]metric.ObserveOption // user, system
	states     map[byte]metric.ObserveOption
}

type instruments struct {
	collect.Gauges
	rss         metric.Int64ObservableUpDownCounter
	vms         metric.Int64ObservableUpDownCounter
	shared      metric.Int64ObservableUpDownCounter
	data        metric.Int64ObservableUpDownCounter
	utilization metric.Float64ObservableGauge
	cpuTime     metric.Float64ObservableCounter
	threads     metric.Int64ObservableUpDownCounter
	fds         metric.Int64ObservableUpDownCounter
	conns       metric.Int64ObservableUpDownCounter
	created     metric.Float64ObservableGauge
	uptime      metric.Float64ObservableGauge
	status      metric.Int64ObservableGauge
}

// config holds what tests replace: the proc root, the clock and the
// protocol lookup of a socket descriptor (nil: getxattr).
type config struct {
	procRoot  string
	now       func() time.Time
	sockProto func(path string, dest []byte) (int, error)
}

// Start registers the process instruments (scope names.ScopeProcess) on mp
// and resolves the pid once, so PID is meaningful before the first
// collection. A pid file that is missing or a process that is not running
// is not an error.
func Start(mp metric.MeterProvider, opts Options) (*Collector, error) {
	return start(mp, opts, config{})
}

func start(mp metric.MeterProvider, opts Options, cfg config) (*Collector, error) {
	if mp == nil {
		return nil, errors.New("process: nil MeterProvider")
	}
	if opts.PID != 0 && opts.PIDFile != "" {
		return nil, errors.New("process: set PID or PIDFile, not both")
	}
	if opts.PID < 0 {
		return nil, fmt.Errorf("process: invalid pid %d", opts.PID)
	}
	c := &Collector{fixedPID: opts.PID, pidFile: opts.PIDFile, now: cfg.now, log: opts.Logger, procRoot: cfg.procRoot}
	if c.fixedPID == 0 && c.pidFile == "" {
		c.fixedPID = os.Getpid()
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.procRoot == "" {
		c.procRoot = os.Getenv("HOST_PROC")
	}
	if c.procRoot == "" {
		c.procRoot = "/proc"
	}
	c.socks = newSockets(cfg.sockProto)
	c.collector = metric.WithAttributeSet(attribute.NewSet(attribute.String(names.AttrCollector, "process")))

	m := mp.Meter(names.ScopeProcess)
	insts, err := c.inst.create(mp, m)
	if err != nil {
		return nil, err
	}
	pid, _ := c.resolvePID() // an unreadable pid file is reported by the first collection
	c.pid.Store(int64(pid))
	if c.reg, err = collect.Register(m, "process", c.observe, insts...); err != nil {
		return nil, err
	}
	return c, nil
}

func (in *instruments) create(mp metric.MeterProvider, m metric.Meter) ([]metric.Observable, error) {
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	var err error
	in.Gauges, err = collect.NewGauges(mp)
	add(err)
	in.rss, err = m.Int64ObservableUpDownCounter(names.ProcessMemoryUsage, metric.WithUnit("By"),
		metric.WithDescription("Resident set size of the process."))
	add(err)
	in.vms, err = m.Int64ObservableUpDownCounter(names.ProcessMemoryVirtual, metric.WithUnit("By"),
		metric.WithDescription("Virtual memory size of the process."))
	add(err)
	in.shared, err = m.Int64ObservableUpDownCounter(names.ProcessMemoryShared, metric.WithUnit("By"),
		metric.WithDescription("Resident memory of the process backed by files (statm shared)."))
	add(err)
	in.data, err = m.Int64ObservableUpDownCounter(names.ProcessMemoryData, metric.WithUnit("By"),
		metric.WithDescription("Data and stack size of the process (statm data)."))
	add(err)
	in.utilization, err = m.Float64ObservableGauge(names.ProcessMemoryUtilization, metric.WithUnit("1"),
		metric.WithDescription("Resident set size as a fraction of MemTotal."))
	add(err)
	in.cpuTime, err = m.Float64ObservableCounter(names.ProcessCPUTime, metric.WithUnit("s"),
		metric.WithDescription("CPU seconds used by the process, by mode."))
	add(err)
	in.threads, err = m.Int64ObservableUpDownCounter(names.ProcessThreadCount, metric.WithUnit("{thread}"),
		metric.WithDescription("Threads of the process."))
	add(err)
	in.fds, err = m.Int64ObservableUpDownCounter(names.ProcessOpenFDs, metric.WithUnit("{file_descriptor}"),
		metric.WithDescription("Open file descriptors of the process."))
	add(err)
	in.conns, err = m.Int64ObservableUpDownCounter(names.ProcessConnections, metric.WithUnit("{connection}"),
		metric.WithDescription("TCP and UDP sockets (IPv4 and IPv6) open in the process."))
	add(err)
	in.created, err = m.Float64ObservableGauge(names.ProcessCreationTime, metric.WithUnit("s"),
		metric.WithDescription("When the process started, in seconds since the Unix epoch."))
	add(err)
	in.uptime, err = m.Float64ObservableGauge(names.ProcessUptime, metric.WithUnit("s"),
		metric.WithDescription("Seconds since the process started."))
	add(err)
	in.status, err = m.Int64ObservableGauge(names.ProcessStatus, metric.WithUnit("1"),
		metric.WithDescription("1 for the current state of the process (process.state)."))
	add(err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("create process instruments: %w", err)
	}
	return append([]metric.Observable{}, in.rss, in.vms, in.shared, in.data, in.utilization,
		in.cpuTime, in.threads, in.fds, in.conns, in.created, in.uptime, in.status), nil
}

// Stop unregisters the callback; later collections observe no process
// instruments. Stop is idempotent.
func (c *Collector) Stop() error { return c.reg.Stop() }

// PID returns the pid currently followed: the configured pid, or the one
// the pid file named at the last collection (0 when the file is missing or
// holds no pid). The process itself may have exited.
func (c *Collector) PID() int { return int(c.pid.Load()) }

func (c *Collector) resolvePID() (int, error) {
	if c.pidFile == "" {
		return c.fixedPID, nil
	}
	b, err := os.ReadFile(c.pidFile)
	if err != nil {
		return 0, fmt.Errorf("read pid file: %w", err)
	}
	return parsePIDFile(b)
}

func (c *Collector) observe(ctx context.Context, o metric.Observer) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	start := c.now()
	state, err := c.collect(start, o)
	c.observeGone(o, state)
	c.inst.Record(ctx, state == stateOK, c.now().Sub(start), c.collector)
	c.record(state, err)
	return nil // reported through the success gauge and the log
}

// States of a collection, logged on change.
const (
	stateOK         = "ok"
	statePartial    = "ok, fds or connections unreadable"
	stateNoPID      = "no pid (pid file missing or invalid)"
	stateNotRunning = "process not running"
	stateExited     = "process exited, not reaped"
	stateReadFailed = "process unreadable"
)

func (c *Collector) record(state string, err error) {
	if state == c.state {
		return
	}
	prev := c.state
	c.state = state
	attrs := []any{slog.String("state", state), slog.Int("pid", c.PID())}
	if err != nil {
		attrs = append(attrs, slog.Any("error", err))
	}
	switch {
	case state == stateOK && prev == "":
		c.log.Debug("following process", attrs...)
	case state == stateOK:
		c.log.Info("process collection recovered", attrs...)
	default:
		c.log.Warn("process collection degraded", attrs...)
	}
}

// collect observes the followed process. The returned state is stateOK or
// statePartial when points were observed; otherwise none were, and the
// success gauge reads 0.
func (c *Collector) collect(now time.Time, o metric.Observer) (state string, err error) {
	defer func() {
		// A parser meeting an unexpected kernel format must not take down
		// the bot this agent may be running in.
		if p := recover(); p != nil {
			state, err = stateReadFailed, fmt.Errorf("panic: %v", p)
			c.target = nil
		}
	}()
	pid, err := c.resolvePID()
	c.pid.Store(int64(pid))
	if err != nil {
		c.target = nil
		return stateNoPID, err
	}
	dir := c.procRoot + "/" + strconv.Itoa(pid)
	b, err := procfs.ReadFileInto(dir+"/stat", &c.buf)
	if err != nil {
		c.target = nil
		return classify(err), fmt.Errorf("read stat: %w", err)
	}
	ps, err := parseProcStat(b)
	if err != nil {
		c.target = nil
		return stateReadFailed, err
	}
	if ps.state == 'Z' || ps.state == 'X' || ps.state == 'x' {
		// Exited, not yet reaped by its parent: nothing left to measure.
		c.target = nil
		c.exitedAs = stateName(ps.state)
		return stateExited, fmt.Errorf("pid %d has exited (state %c)", pid, ps.state)
	}
	if c.target == nil || c.target.pid != pid || c.target.startTicks != ps.startTicks {
		if c.target, err = c.newTarget(pid, ps.startTicks); err != nil {
			return stateReadFailed, err
		}
	}
	t := c.target
	b, err = procfs.ReadFileInto(dir+"/statm", &c.buf)
	if err != nil {
		c.target = nil
		return classify(err), fmt.Errorf("read statm: %w", err)
	}
	sm, err := parseStatm(string(b), uint64(os.Getpagesize()))
	if err != nil {
		return stateReadFailed, err
	}

	// Optional parts: /proc/PID/fd needs the process's own user (or
	// CAP_SYS_PTRACE) when the agent runs as another user.
	state = stateOK
	fds, conns, optErr := c.countFDs(dir)
	if optErr != nil {
		state = statePartial
	}

	o.ObserveInt64(c.inst.rss, clamp(sm.rss), t.base)
	o.ObserveInt64(c.inst.vms, clamp(sm.vms), t.base)
	o.ObserveInt64(c.inst.shared, clamp(sm.shared), t.base)
	o.ObserveInt64(c.inst.data, clamp(sm.data), t.base)
	if total := c.totalMemory(now); total > 0 {
		o.ObserveFloat64(c.inst.utilization, float64(sm.rss)/float64(total), t.base)
	}
	o.ObserveFloat64(c.inst.cpuTime, ps.user, t.cpu[0])
	o.ObserveFloat64(c.inst.cpuTime, ps.system, t.cpu[1])
	o.ObserveInt64(c.inst.threads, ps.threads, t.base)
	if optErr == nil {
		o.ObserveInt64(c.inst.fds, int64(fds), t.base)
		o.ObserveInt64(c.inst.conns, int64(conns), t.base)
	}
	o.ObserveFloat64(c.inst.created, t.created, t.base)
	o.ObserveFloat64(c.inst.uptime, max(0, float64(now.UnixMilli())/1e3-t.created), t.base)
	o.ObserveInt64(c.inst.status, 1, t.stateOpt(ps.state))
	return state, optErr
}

// observeGone observes process.status for a watched pid that collect
// could not measure (state is neither stateOK nor statePartial), so that
// the pid stays in the data: process.state is StateNotFound when there is
// no such process, the kernel's state for one that exited but is not
// reaped, and "unknown" when it could not be read. Without a pid nothing
// is observed.
func (c *Collector) observeGone(o metric.Observer, state string) {
	pid := c.PID()
	var ps string
	switch state {
	case stateNotRunning:
		ps = StateNotFound
	case stateExited:
		ps = c.exitedAs
	case stateReadFailed:
		ps = "unknown"
	}
	if ps == "" || pid <= 0 {
		return
	}
	if key := strconv.Itoa(pid) + "/" + ps; key != c.goneKey {
		c.goneKey = key
		c.goneOpt = metric.WithAttributeSet(attribute.NewSet(
			attribute.Int(names.AttrProcessPID, pid), attribute.String(names.AttrProcessState, ps)))
	}
	o.ObserveInt64(c.inst.status, 1, c.goneOpt)
}

func (c *Collector) newTarget(pid int, startTicks uint64) (*target, error) {
	if c.bootTime == 0 {
		b, err := procfs.ReadFileInto(c.procRoot+"/stat", &c.buf)
		if err != nil {
			return nil, fmt.Errorf("read boot time: %w", err)
		}
		if c.bootTime, err = parseBootTime(b); err != nil {
			return nil, err
		}
	}
	pidAttr := attribute.Int(names.AttrProcessPID, pid)
	t := &target{pid: pid, startTicks: startTicks, states: map[byte]metric.ObserveOption{},
		created: float64(c.bootTime) + float64(startTicks)/procfs.UserHZ,
		base:    metric.WithAttributeSet(attribute.NewSet(pidAttr))}
	for i, mode := range []string{"user", "system"} {
		t.cpu[i] = metric.WithAttributeSet(attribute.NewSet(pidAttr, attribute.String(names.AttrCPUMode, mode)))
	}
	return t, nil
}

func (t *target) stateOpt(state byte) metric.ObserveOption {
	if o, ok := t.states[state]; ok {
		return o
	}
	o := metric.WithAttributeSet(attribute.NewSet(
		attribute.Int(names.AttrProcessPID, t.pid), attribute.String(names.AttrProcessState, stateName(state))))
	t.states[state] = o
	return o
}

// classify tells "the process is gone" from "it is there but unreadable".
func classify(err error) string {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
		return stateNotRunning
	}
	return stateReadFailed
}

// totalMemory returns MemTotal, cached; 0 when unknown, in which case
// process.memory.utilization is left out.
func (c *Collector) totalMemory(now time.Time) uint64 {
	if c.memTotal == 0 || now.Sub(c.memTotalAt) >= memTotalTTL {
		b, err := procfs.ReadFileInto(c.procRoot+"/meminfo", &c.buf)
		if err != nil {
			return c.memTotal // keep the last known value
		}
		total, err := parseMemTotal(b)
		if err != nil {
			return c.memTotal
		}
		c.memTotal, c.memTotalAt = total, now
	}
	return c.memTotal
}

func clamp(v uint64) int64 {
	if v > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(v)
}
