package host

import (
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/semconv/v1.43.0/systemconv"

	"github.com/nexusmon/nexusmon/internal/names"
)

// countsTTL bounds how often the CPU counts are re-read: counting physical
// cores globs sysfs and parsing /proc/cpuinfo costs more than everything
// else in this source, and the counts change only on CPU hotplug.
const countsTTL = 60 * time.Second

// cpuModes are the /proc/stat columns read per logical CPU, in their order.
var cpuModes = [...]string{"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"}

// observedModes are the semconv cpu.mode values observed per logical CPU:
// the columns above with irq and softirq added into interrupt.
var observedModes = [...]systemconv.CPUModeAttr{
	systemconv.CPUModeUser, systemconv.CPUModeNice, systemconv.CPUModeSystem, systemconv.CPUModeIdle,
	systemconv.CPUModeIOWait, systemconv.CPUModeInterrupt, systemconv.CPUModeSteal,
}

// modeTimes folds the /proc/stat columns into observedModes.
func modeTimes(t *[len(cpuModes)]float64) [len(observedModes)]float64 {
	return [...]float64{t[0], t[1], t[2], t[3], t[4], t[5] + t[6], t[7]}
}

// cpuSource observes cumulative per-core CPU time and the CPU counts
// (nexusmon.collector="host.cpu").
type cpuSource struct {
	time     metric.Float64ObservableCounter
	logical  metric.Int64ObservableUpDownCounter
	physical metric.Int64ObservableUpDownCounter

	attrs   map[int]*[len(observedModes)]metric.ObserveOption // per logical CPU, per mode
	cores   []coreTimes                                       // reused between collections
	scratch [][]byte

	countsAt          time.Time
	nLogical, nPhysic int
}

func newCPUSource(m metric.Meter) (source, error) {
	s := &cpuSource{attrs: map[int]*[len(observedModes)]metric.ObserveOption{}}
	var err error
	if s.time, err = m.Float64ObservableCounter(names.SystemCPUTime, metric.WithUnit("s"),
		metric.WithDescription("Seconds each logical CPU spent in each mode.")); err != nil {
		return nil, fmt.Errorf("create %s: %w", names.SystemCPUTime, err)
	}
	if s.logical, err = m.Int64ObservableUpDownCounter(names.SystemCPULogicalCount, metric.WithUnit("{cpu}"),
		metric.WithDescription("Number of logical CPUs.")); err != nil {
		return nil, fmt.Errorf("create %s: %w", names.SystemCPULogicalCount, err)
	}
	if s.physical, err = m.Int64ObservableUpDownCounter(names.SystemCPUPhysicalCount, metric.WithUnit("{cpu}"),
		metric.WithDescription("Number of physical CPU cores.")); err != nil {
		return nil, fmt.Errorf("create %s: %w", names.SystemCPUPhysicalCount, err)
	}
	return s, nil
}

func (s *cpuSource) name() string { return "host.cpu" }

func (s *cpuSource) instruments() []metric.Observable {
	return []metric.Observable{s.time, s.logical, s.physical}
}

func (s *cpuSource) collect(c *collection, o metric.Observer) error {
	b, err := c.r.readProc("stat")
	if err != nil {
		return fmt.Errorf("read stat: %w", err)
	}
	if s.cores, err = parseProcStat(b, s.cores, s.scratch); err != nil {
		return err
	}
	for i := range s.cores {
		attrs := s.coreAttrs(s.cores[i].core)
		for m, v := range modeTimes(&s.cores[i].times) {
			o.ObserveFloat64(s.time, v, attrs[m])
		}
	}
	if s.countsAt.IsZero() || c.now.Sub(s.countsAt) >= countsTTL {
		logical, physical, err := c.r.cpuCounts(c.ctx)
		if err != nil {
			return fmt.Errorf("read cpu counts: %w", err)
		}
		s.nLogical, s.nPhysic, s.countsAt = logical, physical, c.now
	}
	o.ObserveInt64(s.logical, int64(s.nLogical))
	o.ObserveInt64(s.physical, int64(s.nPhysic))
	return nil
}

func (s *cpuSource) coreAttrs(core int) *[len(observedModes)]metric.ObserveOption {
	if a, ok := s.attrs[core]; ok {
		return a
	}
	a := new([len(observedModes)]metric.ObserveOption)
	for m, mode := range observedModes {
		a[m] = metric.WithAttributeSet(attribute.NewSet(
			attribute.Int(names.AttrCPULogical, core), attribute.String(names.AttrCPUMode, string(mode))))
	}
	s.attrs[core] = a
	return a
}
