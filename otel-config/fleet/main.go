// Command otelcol-nexusmon is nexusmon's OpenTelemetry Collector
// distribution for fleets: a gateway that receives OTLP from many nexusmon
// agents (or OTel-instrumented bots) and posts fleet reports and alerts per
// instance to Discord through collector/discordexporter.
//
// Components: the otlp receiver; the memory_limiter and batch processors;
// the discord and debug exporters; the file_storage extension (the discord
// exporter's durable outbox and state). The loadbalancing exporter of the
// agent-side tier is not in it: the module proxy this project builds from
// refuses contrib's loadbalancingexporter v0.165.x (see README.md).
//
// It lives in a Go module of its own, like otel-config/collector, so the
// Collector's dependency graph never enters the agent's go.mod.
package main

import (
	"os"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"

	"github.com/nexusmon/nexusmon/collector/discordexporter"
)

// version is the collector core release this distribution is built from.
const version = "0.165.0"

// components returns the factories compiled into this distribution.
func components() (otelcol.Factories, error) {
	var err error
	// The service refuses to start without a telemetry factory.
	f := otelcol.Factories{Telemetry: otelconftelemetry.NewFactory()}
	if f.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](otlpreceiver.NewFactory()); err != nil {
		return f, err
	}
	if f.Processors, err = otelcol.MakeFactoryMap[processor.Factory](memorylimiterprocessor.NewFactory(), batchprocessor.NewFactory()); err != nil {
		return f, err
	}
	if f.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](discordexporter.NewFactory(), debugexporter.NewFactory()); err != nil {
		return f, err
	}
	if f.Extensions, err = otelcol.MakeFactoryMap[extension.Factory](filestorage.NewFactory()); err != nil {
		return f, err
	}
	return f, nil
}

func main() {
	set := otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{
			Command:     "otelcol-nexusmon",
			Description: "nexusmon fleet gateway: OTLP in, fleet reports and alerts per instance to Discord",
			Version:     version,
		},
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{ResolverSettings: confmap.ResolverSettings{
			ProviderFactories: []confmap.ProviderFactory{
				fileprovider.NewFactory(),
				envprovider.NewFactory(),
				yamlprovider.NewFactory(),
			},
		}},
	}
	// The command prints its own error; only the exit status is ours to set.
	if err := otelcol.NewCommand(set).Execute(); err != nil {
		os.Exit(1)
	}
}
