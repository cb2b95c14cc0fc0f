package deliver

import (
	"context"
	"errors"

	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/build"
)

// ReportQueue returns d as the Reporter's queue (Options.Queue, SetQueue):
// each report is rendered for Discord (Render) and queued in d; Commit keeps
// alert state in the same transaction as its message; Stats gives d's
// figures to the system report.
func ReportQueue(d *Delivery) report.StateQueue { return reportQueue{d} }

type reportQueue struct{ d *Delivery }

func (q reportQueue) Enqueue(ctx context.Context, m report.Message) error {
	o, err := toOutbound(m)
	if err != nil {
		return err
	}
	return q.d.Enqueue(ctx, o)
}

// Commit renders ms and commits them with kv. A message that cannot be
// rendered is left out (its error returned); kv is committed all the same.
func (q reportQueue) Commit(ctx context.Context, kv []KV, ms ...report.Message) error {
	out := make([]Outbound, 0, len(ms))
	var errs []error
	for _, m := range ms {
		o, err := toOutbound(m)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, o)
	}
	if len(out) > 0 || len(kv) > 0 {
		if err := q.d.Commit(ctx, kv, out...); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (q reportQueue) Stats() build.DeliveryStats { return q.d.Stats() }

// toOutbound renders m's report for Discord.
func toOutbound(m report.Message) (Outbound, error) {
	p, err := render.Render(m.Report)
	if err != nil {
		return Outbound{}, err
	}
	return Outbound{Kind: m.Kind, Priority: m.Priority, EditKey: m.EditKey, Payload: p}, nil
}
