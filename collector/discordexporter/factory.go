package discordexporter

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// TypeStr is the component type: `discord` in a Collector configuration.
const TypeStr = "discord"

// Type is the component type.
var Type = component.MustNewType(TypeStr)

// NewFactory returns the factory of the discord exporter (metrics only).
func NewFactory() exporter.Factory {
	return exporter.NewFactory(Type, createDefaultConfig,
		exporter.WithMetrics(createMetrics, component.StabilityLevelAlpha))
}

func createMetrics(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
	c, ok := cfg.(*Config)
	if !ok {
		return nil, errors.New("create discord exporter: config is not *discordexporter.Config")
	}
	e, err := newExporter(c, set)
	if err != nil {
		return nil, fmt.Errorf("create discord exporter: %w", err)
	}
	return wrap(ctx, set, c, e)
}

// wrap makes e a Collector metrics exporter.
func wrap(ctx context.Context, set exporter.Settings, cfg *Config, e *discordExporter) (exporter.Metrics, error) {
	// Export never waits on the network (it queues in the outbox), so the
	// exporter takes data synchronously: no sending queue, no retries of
	// data, and no timeout beyond the pipeline's.
	return exporterhelper.NewMetrics(ctx, set, cfg, e.consume,
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
	)
}
