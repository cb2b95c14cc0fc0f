package host

import (
	"fmt"

	"go.opentelemetry.io/otel/metric"

	"github.com/nexusmon/nexusmon/internal/names"
)

// loadSource observes the 1, 5 and 15 minute load averages
// (nexusmon.collector="host.load").
type loadSource struct {
	l1, l5, l15 metric.Float64ObservableGauge
}

func newLoadSource(m metric.Meter) (source, error) {
	s := &loadSource{}
	for _, g := range []struct {
		dst  *metric.Float64ObservableGauge
		name string
		desc string
	}{
		{&s.l1, names.SystemLoad1m, "Load average over the last minute."},
		{&s.l5, names.SystemLoad5m, "Load average over the last 5 minutes."},
		{&s.l15, names.SystemLoad15m, "Load average over the last 15 minutes."},
	} {
		var err error
		if *g.dst, err = m.Float64ObservableGauge(g.name, metric.WithUnit("{thread}"), metric.WithDescription(g.desc)); err != nil {
			return nil, fmt.Errorf("create %s: %w", g.name, err)
		}
	}
	return s, nil
}

func (s *loadSource) name() string { return "host.load" }

func (s *loadSource) instruments() []metric.Observable {
	return []metric.Observable{s.l1, s.l5, s.l15}
}

func (s *loadSource) collect(c *collection, o metric.Observer) error {
	b, err := c.r.readProc("loadavg")
	if err != nil {
		return fmt.Errorf("read loadavg: %w", err)
	}
	avg, err := parseLoadavg(b)
	if err != nil {
		return err
	}
	o.ObserveFloat64(s.l1, avg[0])
	o.ObserveFloat64(s.l5, avg[1])
	o.ObserveFloat64(s.l15, avg[2])
	return nil
}
