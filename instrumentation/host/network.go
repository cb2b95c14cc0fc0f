package host

import (
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/nexusmon/nexusmon/internal/names"
)

// networkSource observes cumulative per-interface counters
// (nexusmon.collector="host.network"). Every interface of the agent's
// network namespace is reported, loopback included (as psutil and contrib
// host count it); the interface attribute lets an exporter leave "lo" out
// of its totals.
type networkSource struct {
	io      metric.Int64ObservableCounter
	packets metric.Int64ObservableCounter
	errors  metric.Int64ObservableCounter
	dropped metric.Int64ObservableCounter

	attrs   attrCache[ifaceAttrs]
	stats   []netDevStat // reused between collections
	scratch [][]byte
}

// ifaceAttrs holds one interface's options: semconv v1.43 keys
// system.network.packet.count on system.device but io, errors and dropped
// on network.interface.name.
type ifaceAttrs struct {
	byName   [2]metric.ObserveOption // transmit, receive
	byDevice [2]metric.ObserveOption
}

func newNetworkSource(m metric.Meter) (source, error) {
	s := &networkSource{}
	for _, c := range []struct {
		dst        *metric.Int64ObservableCounter
		name, unit string
		desc       string
	}{
		{&s.io, names.SystemNetworkIO, "By", "Bytes sent and received by each interface."},
		{&s.packets, names.SystemNetworkPackets, "{packet}", "Packets sent and received by each interface."},
		{&s.errors, names.SystemNetworkErrors, "{error}", "Transmit and receive errors of each interface."},
		{&s.dropped, names.SystemNetworkDropped, "{packet}", "Packets dropped by each interface."},
	} {
		var err error
		if *c.dst, err = m.Int64ObservableCounter(c.name, metric.WithUnit(c.unit), metric.WithDescription(c.desc)); err != nil {
			return nil, fmt.Errorf("create %s: %w", c.name, err)
		}
	}
	return s, nil
}

func (s *networkSource) name() string { return "host.network" }

func (s *networkSource) instruments() []metric.Observable {
	return []metric.Observable{s.io, s.packets, s.errors, s.dropped}
}

func (s *networkSource) collect(c *collection, o metric.Observer) error {
	b, err := c.r.readProc("net/dev")
	if err != nil {
		return fmt.Errorf("read net/dev: %w", err)
	}
	if s.stats, err = parseNetDev(b, s.stats, s.scratch); err != nil {
		return err
	}
	s.attrs.begin()
	for i := range s.stats {
		st := &s.stats[i]
		a, ok := s.attrs.get(string(st.name))
		if !ok {
			a = newIfaceAttrs(string(st.name))
			s.attrs.put(string(st.name), a)
		}
		tx, rx := a.byName[0], a.byName[1]
		o.ObserveInt64(s.io, clamp(st.txBytes), tx)
		o.ObserveInt64(s.io, clamp(st.rxBytes), rx)
		o.ObserveInt64(s.packets, clamp(st.txPackets), a.byDevice[0])
		o.ObserveInt64(s.packets, clamp(st.rxPackets), a.byDevice[1])
		o.ObserveInt64(s.errors, clamp(st.txErrs), tx)
		o.ObserveInt64(s.errors, clamp(st.rxErrs), rx)
		o.ObserveInt64(s.dropped, clamp(st.txDrop), tx)
		o.ObserveInt64(s.dropped, clamp(st.rxDrop), rx)
	}
	s.attrs.end()
	return nil
}

func newIfaceAttrs(iface string) ifaceAttrs {
	var a ifaceAttrs
	for i, dir := range []string{"transmit", "receive"} {
		d := attribute.String(names.AttrNetDirection, dir)
		a.byName[i] = metric.WithAttributeSet(attribute.NewSet(attribute.String(names.AttrInterface, iface), d))
		a.byDevice[i] = metric.WithAttributeSet(attribute.NewSet(attribute.String(names.AttrDevice, iface), d))
	}
	return a
}
