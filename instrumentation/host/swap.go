package host

import (
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/nexusmon/nexusmon/internal/names"
)

// swapSource observes swap usage (nexusmon.collector="host.swap"). It
// reuses the collection's /proc/meminfo read (SwapTotal, SwapFree) instead
// of gopsutil's SwapMemory, which also parses all of /proc/vmstat.
type swapSource struct {
	usage  metric.Int64ObservableUpDownCounter
	states [2]metric.ObserveOption // used, free
}

func newSwapSource(m metric.Meter) (source, error) {
	s := &swapSource{}
	var err error
	if s.usage, err = m.Int64ObservableUpDownCounter(names.SystemPagingUsage, metric.WithUnit("By"),
		metric.WithDescription("Swap space, by state (used, free).")); err != nil {
		return nil, fmt.Errorf("create %s: %w", names.SystemPagingUsage, err)
	}
	for i, st := range []string{"used", "free"} {
		s.states[i] = metric.WithAttributeSet(attribute.NewSet(attribute.String(names.AttrPagingState, st)))
	}
	return s, nil
}

func (s *swapSource) name() string { return "host.swap" }

func (s *swapSource) instruments() []metric.Observable { return []metric.Observable{s.usage} }

func (s *swapSource) collect(c *collection, o metric.Observer) error {
	m, err := c.meminfo()
	if err != nil {
		return err
	}
	used := uint64(0)
	if m.swapFree <= m.swapTotal {
		used = m.swapTotal - m.swapFree
	}
	o.ObserveInt64(s.usage, clamp(used), s.states[0])
	o.ObserveInt64(s.usage, clamp(m.swapFree), s.states[1])
	return nil
}
