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

// Options configures Start. PID 0 follows the calling process.
type Options struct {
	// PID is the process to observe. Its points carry no pid: the process
	// is the resource of the MeterProvider they are recorded in (one
	// provider per process; internal/procres builds them).
	PID int
	// StartTicks is the process's start time (field 22 of /proc/PID/stat,
	// Identity.StartTicks): a process under PID with another start time is
	// another process that reuses the pid, and is not observed (the status
	// reads not_found). 0 observes whichever process has PID.
	StartTicks uint64
	// Health is where the collector's own nexusmon.collector.* gauges are
	// recorded: the agent's provider, so that they stay when the process
	// provider is replaced. Nil records them in the MeterProvider given to
	// Start.
	Health metric.MeterProvider
	// ProcRoot is the proc file system ("" : $HOST_PROC, else /proc).
	ProcRoot string
	// Logger receives one record per change of the collector's state
	// (process found, gone). Nil discards.
	Logger *slog.Logger
}

// Collector owns the process instruments registered on one MeterProvider.
// Its methods are safe for concurrent use.
type Collector struct {
	reg *collect.Registration
	pid int // the pid observed

	mu         sync.Mutex // serialises collections
	startTicks uint64     // the process's identity; 0: any process with pid
	procRoot   string
	dir        string // procRoot/pid, and its files read at each collection
	statPath   string
	statmPath  string
	fdDir      []byte       // NUL-terminated
	stat       *procfs.File // kept open while the process is followed (files.go); nil otherwise
	statm      *procfs.File
	fdDirFD    int  // the fd directory, kept open like stat; -1 when not open
	fdDirProc  bool // fdDirFD is in procfs (not a test's directory): fdCount
	stopped    bool // Stop ran: nothing is opened again
	now        func() time.Time
	log        *slog.Logger
	state      string // last logged state, see record

	target     *target // the followed process; nil when none
	memTotal   uint64
	memTotalAt time.Time
	bootTime   int64 // btime of /proc/stat, read once
	buf        []byte
	socks      sockets                         // the connection count's state
	exitedAs   string                          // process.state of the exited process, for stateExited
	states     map[string]metric.ObserveOption // process.status attribute sets, by state

	inst      instruments
	collector metric.MeasurementOption // nexusmon.collector="process"
}

// target is what is cached per observed process: its start time, which
// tells this process from a later one that reuses the pid.
type target struct {
	startTicks uint64
	created    float64 // seconds since the Unix epoch
}

// The attribute sets of the points: the pid is not among them (it is the
// resource's).
var (
	noAttrs = metric.WithAttributeSet(attribute.NewSet())
	cpuOpts = [2]metric.ObserveOption{ // user, system
		metric.WithAttributeSet(attribute.NewSet(attribute.String(names.AttrCPUMode, "user"))),
		metric.WithAttributeSet(attribute.NewSet(attribute.String(names.AttrCPUMode, "system"))),
	}
)

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

// Start registers the process instruments (scope names.ScopeProcess) on mp.
// A process that is not running is not an error.
func Start(mp metric.MeterProvider, opts Options) (*Collector, error) {
	return start(mp, opts, config{})
}

func start(mp metric.MeterProvider, opts Options, cfg config) (*Collector, error) {
	if mp == nil {
		return nil, errors.New("process: nil MeterProvider")
	}
	if opts.PID < 0 {
		return nil, fmt.Errorf("process: invalid pid %d", opts.PID)
	}
	c := &Collector{pid: opts.PID, startTicks: opts.StartTicks, now: cfg.now, log: opts.Logger,
		procRoot: opts.ProcRoot, states: map[string]metric.ObserveOption{}, fdDirFD: -1}
	if cfg.procRoot != "" {
		c.procRoot = cfg.procRoot
	}
	if c.pid == 0 {
		c.pid = os.Getpid()
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.procRoot = procRootOr(c.procRoot)
	c.dir = c.procRoot + "/" + strconv.Itoa(c.pid)
	c.statPath, c.statmPath = c.dir+"/stat", c.dir+"/statm"
	c.fdDir = append([]byte(c.dir+"/fd"), 0)
	c.socks = newSockets(cfg.sockProto)
	c.collector = metric.WithAttributeSet(attribute.NewSet(attribute.String(names.AttrCollector, "process")))

	health := opts.Health
	if health == nil {
		health = mp
	}
	m := mp.Meter(names.ScopeProcess)
	insts, err := c.inst.create(health, m)
	if err != nil {
		return nil, err
	}
	if c.reg, err = collect.Register(m, "process", c.observe, insts...); err != nil {
		return nil, err
	}
	return c, nil
}

func (in *instruments) create(health metric.MeterProvider, m metric.Meter) ([]metric.Observable, error) {
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	var err error
	in.Gauges, err = collect.NewGauges(health)
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

// Stop unregisters the callback, so later collections observe no process
// instruments, and closes the process's files kept open between
// collections. Stop is idempotent.
func (c *Collector) Stop() error {
	err := c.reg.Stop() // not under c.mu: see collect.Registration
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	c.closeFiles()
	return err
}

// PID returns the pid observed. The process itself may have exited.
func (c *Collector) PID() int { return c.pid }

func (c *Collector) observe(ctx context.Context, o metric.Observer) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil // never after Unregister; were it called, no file is opened again
	}
	start := c.now()
	state, err := c.collect(start, o)
	if state != stateOK && state != statePartial {
		c.closeFiles() // no descriptor of a process not followed: opened again next time
	}
	c.observeGone(o, state)
	c.inst.Record(ctx, state == stateOK, c.now().Sub(start), c.collector)
	c.record(state, err)
	return nil // reported through the success gauge and the log
}

// States of a collection, logged on change.
const (
	stateOK         = "ok"
	statePartial    = "ok, fds or connections unreadable"
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
	pid := c.pid
	b, err := c.readStat()
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
	if c.startTicks != 0 && ps.startTicks != c.startTicks {
		// Another process reuses the pid: not the one this provider is about.
		c.target = nil
		return stateNotRunning, fmt.Errorf("pid %d is another process now", pid)
	}
	if c.target == nil || c.target.startTicks != ps.startTicks {
		if c.target, err = c.newTarget(ps.startTicks); err != nil {
			return stateReadFailed, err
		}
	}
	t := c.target
	b, err = c.statm.ReadInto(&c.buf)
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
	fds, conns, optErr := c.countFDs()
	if optErr != nil {
		state = statePartial
	}

	o.ObserveInt64(c.inst.rss, clamp(sm.rss), noAttrs)
	o.ObserveInt64(c.inst.vms, clamp(sm.vms), noAttrs)
	o.ObserveInt64(c.inst.shared, clamp(sm.shared), noAttrs)
	o.ObserveInt64(c.inst.data, clamp(sm.data), noAttrs)
	if total := c.totalMemory(now); total > 0 {
		o.ObserveFloat64(c.inst.utilization, float64(sm.rss)/float64(total), noAttrs)
	}
	o.ObserveFloat64(c.inst.cpuTime, ps.user, cpuOpts[0])
	o.ObserveFloat64(c.inst.cpuTime, ps.system, cpuOpts[1])
	o.ObserveInt64(c.inst.threads, ps.threads, noAttrs)
	if optErr == nil {
		o.ObserveInt64(c.inst.fds, int64(fds), noAttrs)
		o.ObserveInt64(c.inst.conns, int64(conns), noAttrs)
	}
	o.ObserveFloat64(c.inst.created, t.created, noAttrs)
	o.ObserveFloat64(c.inst.uptime, max(0, float64(now.UnixMilli())/1e3-t.created), noAttrs)
	o.ObserveInt64(c.inst.status, 1, c.stateOpt(stateName(ps.state)))
	return state, optErr
}

// observeGone observes process.status for a watched pid that collect
// could not measure (state is neither stateOK nor statePartial), so that
// the pid (the resource's) stays in the data: process.state is
// StateNotFound when there is no such process, the kernel's state for one
// that exited but is not reaped, and "unknown" when it could not be read.
func (c *Collector) observeGone(o metric.Observer, state string) {
	var ps string
	switch state {
	case stateNotRunning:
		ps = StateNotFound
	case stateExited:
		ps = c.exitedAs
	case stateReadFailed:
		ps = "unknown"
	}
	if ps == "" {
		return
	}
	o.ObserveInt64(c.inst.status, 1, c.stateOpt(ps))
}

func (c *Collector) newTarget(startTicks uint64) (*target, error) {
	if c.bootTime == 0 {
		b, err := procfs.ReadFileInto(c.procRoot+"/stat", &c.buf)
		if err != nil {
			return nil, fmt.Errorf("read boot time: %w", err)
		}
		if c.bootTime, err = parseBootTime(b); err != nil {
			return nil, err
		}
	}
	return &target{startTicks: startTicks, created: float64(c.bootTime) + float64(startTicks)/procfs.UserHZ}, nil
}

// stateOpt returns the attribute set of process.status for state.
func (c *Collector) stateOpt(state string) metric.ObserveOption {
	if o, ok := c.states[state]; ok {
		return o
	}
	o := metric.WithAttributeSet(attribute.NewSet(attribute.String(names.AttrProcessState, state)))
	c.states[state] = o
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
