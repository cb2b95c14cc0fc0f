package deliver

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	n "github.com/nexusmon/nexusmon/internal/names"
)

// deliveryDurationBounds are the buckets of nexusmon.delivery.duration in seconds:
// from a message sent at once to one that waited out an outage.
var deliveryDurationBounds = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400}

// deliveryMetrics are a Delivery's own instruments (scope ScopeExporter),
// every point carrying nexusmon.destination.
type deliveryMetrics struct {
	sent, failed, dropped, rateLimited, retries metric.Int64Counter
	notDurable, memDropped                      metric.Int64Counter
	duration                                    metric.Float64Histogram
	reg                                         metric.Registration

	dest    attribute.KeyValue
	destOpt metric.MeasurementOption
}

// newDeliveryMetrics creates the instruments; depth and memDepth are read
// by the depth gauges' callback. A nil provider records nothing.
func newDeliveryMetrics(mp metric.MeterProvider, dest string, depth, memDepth func() int64) (*deliveryMetrics, error) {
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	m := mp.Meter(n.ScopeExporter)
	dm := &deliveryMetrics{dest: attribute.String(n.AttrDestination, dest)}
	dm.destOpt = metric.WithAttributeSet(attribute.NewSet(dm.dest))
	var err error
	counter := func(name, desc string) metric.Int64Counter {
		if err != nil {
			return nil
		}
		var c metric.Int64Counter
		c, err = m.Int64Counter(name, metric.WithUnit("{message}"), metric.WithDescription(desc))
		return c
	}
	dm.sent = counter(n.MessagesSent, "Outbox messages Discord accepted.")
	dm.failed = counter(n.MessagesFailed, "Outbox messages given up: rejected by Discord or expired.")
	dm.dropped = counter(n.MessagesDropped, "Outbox messages dropped: superseded edits and reports over the queue bound.")
	dm.rateLimited = counter(n.MessagesRateLimit, "429 answers received.")
	dm.retries = counter(n.MessagesRetries, "Failed attempts that were scheduled again.")
	dm.notDurable = counter(n.MessagesNotDurable, "Messages Discord accepted from the memory queue: the store could not write them.")
	dm.memDropped = counter(n.MessagesMemoryDropped, "Messages dropped from the full memory queue while the store could not write.")
	if err != nil {
		return nil, fmt.Errorf("create delivery instruments: %w", err)
	}
	dm.duration, err = m.Float64Histogram(n.DeliveryDuration, metric.WithUnit("s"),
		metric.WithDescription("Time from enqueue to Discord's acceptance."),
		metric.WithExplicitBucketBoundaries(deliveryDurationBounds...))
	if err != nil {
		return nil, fmt.Errorf("create delivery instruments: %w", err)
	}
	gauge, err := m.Int64ObservableGauge(n.OutboxDepth, metric.WithUnit("{message}"),
		metric.WithDescription("Messages waiting in the outbox."))
	if err != nil {
		return nil, fmt.Errorf("create delivery instruments: %w", err)
	}
	memGauge, err := m.Int64ObservableGauge(n.MemoryQueueDepth, metric.WithUnit("{message}"),
		metric.WithDescription("Messages waiting in the memory queue because the store could not write them."))
	if err != nil {
		return nil, fmt.Errorf("create delivery instruments: %w", err)
	}
	dm.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(gauge, depth(), metric.WithAttributeSet(attribute.NewSet(dm.dest)))
		o.ObserveInt64(memGauge, memDepth(), metric.WithAttributeSet(attribute.NewSet(dm.dest)))
		return nil
	}, gauge, memGauge)
	if err != nil {
		return nil, fmt.Errorf("register outbox depth callback: %w", err)
	}
	return dm, nil
}

// failedWith records a given-up message.
func (dm *deliveryMetrics) failedWith(ctx context.Context, reason string, count int) {
	dm.failed.Add(ctx, int64(count), metric.WithAttributeSet(attribute.NewSet(dm.dest, attribute.String(n.AttrDeliveryReason, reason))))
}

// limited records a 429 of the given scope (user, shared, global).
func (dm *deliveryMetrics) limited(ctx context.Context, scope string) {
	if scope == "" {
		scope = "user"
	}
	dm.rateLimited.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(dm.dest, attribute.String(n.AttrRateLimitScope, scope))))
}
