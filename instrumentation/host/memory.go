package host

import (
	"fmt"
	"math"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/nexusmon/nexusmon/internal/names"
)

// memInfo is what the memory and swap sources need from /proc/meminfo, in
// bytes. used = total - free - buffers - cached, as psutil and the
// Collector's hostmetrics receiver compute it, so that the four
// system.memory.state values add up to MemTotal (gopsutil's own Used is
// total - available, which overlaps free and cached).
type memInfo struct {
	total, available, used, free, buffers, cached uint64
	swapTotal, swapFree                           uint64
}

// meminfo reads /proc/meminfo once per collection.
func (c *collection) meminfo() (memInfo, error) {
	if !c.memRead {
		c.memRead = true
		b, err := c.r.readProc("meminfo")
		if err != nil {
			c.memErr = fmt.Errorf("read meminfo: %w", err)
		} else {
			c.mem, c.memErr = parseMeminfo(b)
		}
	}
	return c.mem, c.memErr
}

// memorySource observes system memory (nexusmon.collector="host.memory").
type memorySource struct {
	usage     metric.Int64ObservableUpDownCounter
	limit     metric.Int64ObservableUpDownCounter
	available metric.Int64ObservableUpDownCounter
	states    [4]metric.ObserveOption // used, free, buffers, cached
}

func newMemorySource(m metric.Meter) (source, error) {
	s := &memorySource{}
	var err error
	if s.usage, err = m.Int64ObservableUpDownCounter(names.SystemMemoryUsage, metric.WithUnit("By"),
		metric.WithDescription("Memory in use, by state (used, free, buffers, cached).")); err != nil {
		return nil, fmt.Errorf("create %s: %w", names.SystemMemoryUsage, err)
	}
	if s.limit, err = m.Int64ObservableUpDownCounter(names.SystemMemoryLimit, metric.WithUnit("By"),
		metric.WithDescription("Total memory (MemTotal).")); err != nil {
		return nil, fmt.Errorf("create %s: %w", names.SystemMemoryLimit, err)
	}
	if s.available, err = m.Int64ObservableUpDownCounter(names.SystemMemoryAvailable, metric.WithUnit("By"),
		metric.WithDescription("Memory available for new work without swapping (MemAvailable).")); err != nil {
		return nil, fmt.Errorf("create %s: %w", names.SystemMemoryAvailable, err)
	}
	for i, st := range []string{"used", "free", "buffers", "cached"} {
		s.states[i] = metric.WithAttributeSet(attribute.NewSet(attribute.String(names.AttrMemoryState, st)))
	}
	return s, nil
}

func (s *memorySource) name() string { return "host.memory" }

func (s *memorySource) instruments() []metric.Observable {
	return []metric.Observable{s.usage, s.limit, s.available}
}

func (s *memorySource) collect(c *collection, o metric.Observer) error {
	m, err := c.meminfo()
	if err != nil {
		return err
	}
	for i, v := range [4]uint64{m.used, m.free, m.buffers, m.cached} {
		o.ObserveInt64(s.usage, clamp(v), s.states[i])
	}
	o.ObserveInt64(s.limit, clamp(m.total))
	o.ObserveInt64(s.available, clamp(m.available))
	return nil
}

// clamp converts a kernel counter to the int64 the API takes.
func clamp(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}
