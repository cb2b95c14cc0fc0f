package procres

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// promSwitch is the one collector registered on the agent's registry for
// the watched process: it refreshes the process and serves the current
// provider's Prometheus exporter, so that a replaced provider's exporter
// leaves the registry with it (the exporter's collector describes nothing,
// and a registry cannot unregister such a collector).
type promSwitch struct {
	refresh func()
	mu      sync.Mutex
	cur     prometheus.Collector
}

func (s *promSwitch) set(c prometheus.Collector) {
	s.mu.Lock()
	s.cur = c
	s.mu.Unlock()
}

// Describe describes nothing: like the OTel exporter's collector, the
// switch is unchecked (its families are known only when collected).
func (*promSwitch) Describe(chan<- *prometheus.Desc) {}

func (s *promSwitch) Collect(ch chan<- prometheus.Metric) {
	if s.refresh != nil {
		s.refresh()
	}
	s.mu.Lock()
	c := s.cur
	s.mu.Unlock()
	if c != nil {
		c.Collect(ch)
	}
}

// captureRegisterer keeps the collector an OTel Prometheus exporter
// registers, for the switch to serve.
type captureRegisterer struct{ c prometheus.Collector }

func (r *captureRegisterer) Register(c prometheus.Collector) error {
	r.c = c
	return nil
}

func (r *captureRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		r.c = c
	}
}

func (r *captureRegisterer) Unregister(c prometheus.Collector) bool {
	if r.c != c {
		return false
	}
	r.c = nil
	return true
}
