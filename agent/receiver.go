package agent

import (
	"context"
	"fmt"

	"github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/internal/otlpexport"
	"github.com/nexusmon/nexusmon/receiver/otlp"
	"github.com/nexusmon/nexusmon/report"
)

// receiverState is the OTLP receiver (receiver.otlp.http) and the
// forwarding of what it receives to the agent's OTLP exporter endpoint.
type receiverState struct {
	recv *otlp.Receiver        // nil when receiver.otlp.http is ""
	fwd  *otlpexport.Forwarder // nil when nothing is exported
}

// buildReceiver creates the receiver, recording command spans through the
// agent's command instruments (a.instr, which exist with or without a Go
// bot), so a bot in another language gets the same command report and
// command_error messages as a Go bot.
func (a *Agent) buildReceiver() error {
	rc := a.cfg.Receiver.OTLP
	if rc.HTTP == "" || a.opts.checksOnly {
		return nil
	}
	if err := a.step("receiver"); err != nil {
		return err
	}
	opts := otlp.Options{
		MaxRequestBytes:    int64(rc.MaxRequestBytes),
		MaxSpansPerMinute:  rc.MaxSpansPerMinute,
		MaxPointsPerMinute: rc.MaxPointsPerMinute,
		MaxSeries:          rc.MaxSeries,
		Recorder:           a.instr,
		MeterProvider:      a.mp,
		Logger:             a.log,
		Now:                a.opts.now,
	}
	if a.fwd != nil {
		opts.Forwarder = a.fwd
	}
	r, err := otlp.New(opts)
	if err != nil {
		return fmt.Errorf("otlp receiver: %w", err)
	}
	a.recv = r
	return nil
}

// startReceiver starts forwarding and listening.
func (a *Agent) startReceiver() error {
	if a.fwd != nil {
		a.fwd.Start()
	}
	if a.recv == nil {
		return nil
	}
	if err := a.recv.Start(a.cfg.Receiver.OTLP.HTTP); err != nil {
		return fmt.Errorf("receiver.otlp.http: %w", err)
	}
	a.log.Info("otlp receiver on", "addr", a.recv.Addr().String(), "forwarding", a.fwd != nil)
	return nil
}

// stopReceiver stops listening, then forwarding.
func (a *Agent) stopReceiver(ctx context.Context) []error {
	var errs []error
	if a.recv != nil {
		if err := a.recv.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if a.fwd != nil {
		if err := a.fwd.Stop(ctx); err != nil {
			a.log.Warn("stop otlp forwarding", "err", err)
		}
	}
	return errs
}

// ReceiverAddr returns the address the OTLP receiver listens on ("" when
// it is off or not started).
func (a *Agent) ReceiverAddr() string {
	if a.recv == nil || a.recv.Addr() == nil {
		return ""
	}
	return a.recv.Addr().String()
}

// addReceived adds the receiver's latest points to a collection's snapshot
// (the Reporter's Augment), keeping the bot's resource attributes on each
// point. A session metric the agent measures itself (its own gateway
// session) is not added twice: the agent's own reading is kept.
func (a *Agent) addReceived(s *report.Snapshot) {
	if a.recv == nil {
		return
	}
	pts := a.recv.Points(nil)
	own := map[string]bool{}
	for _, p := range pts {
		if p.Attrs[names.AttrScope] == names.ScopeBot {
			if _, seen := own[p.Name]; !seen {
				own[p.Name] = len(s.Points(p.Name, names.AttrScope, names.ScopeBot)) > 0
			}
		}
	}
	for _, p := range pts {
		if own[p.Name] {
			continue
		}
		dp := report.Point{Attrs: p.Attrs, Start: p.Start, Time: p.Time, Value: p.Value}
		if h := p.Hist; h != nil {
			dp.Hist = &report.Histogram{Bounds: h.Bounds, Counts: h.Counts, Count: h.Count, Sum: h.Sum, Min: h.Min, Max: h.Max}
		}
		s.Add(p.Name, p.Unit, dp)
	}
}
