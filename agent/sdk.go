package agent

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/nexusmon/nexusmon/internal/slowexemplar"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"
)

// A Go bot that already runs the OpenTelemetry SDK gives nexusmon its
// providers, so that there is one SDK, one /metrics and one trace pipeline:
//
//   - WithMeterProvider: the SDK's MeterProvider takes its readers only at
//     construction, so nexusmon cannot add its readers to a provider that
//     exists. The bot passes a function instead; New calls it once with
//     nexusmon's readers, and the bot builds its provider with them
//     (sdkmetric.WithReader for each, beside its own readers).
//   - WithTracerProvider: command spans go to the bot's TracerProvider.
//
// Who shuts down what: the bot owns its providers. Stop unregisters
// nexusmon's instruments and callbacks from them and makes nexusmon's
// readers export nothing more, but shuts down neither provider; the bot's
// MeterProvider.Shutdown (after Stop) stops nexusmon's readers with its own.
// When New fails after it built the bot's provider, it shuts nexusmon's
// readers down itself; that provider must then be dropped.

// WithMeterProvider makes the agent record into the bot's MeterProvider
// instead of building its own. New calls build once, with nexusmon's metric
// readers: a ManualReader that the agent collects on each Discord report's
// interval and on demand (/nexus, the self-test), and the Prometheus reader
// behind MetricsHandler and /metrics. build must return a provider that has every one of them
// (sdkmetric.WithReader). nexusmon adds no OTLP reader to it: the bot's own
// exporters send its provider's metrics, nexusmon's included. The provider's
// resource is the bot's. The watched process's metrics are not in it: the
// process is their resource, in a provider of its own (internal/procres),
// exported with nexusmon's OTLP settings and served by MetricsHandler.
func WithMeterProvider(build func(readers []sdkmetric.Reader) *sdkmetric.MeterProvider) Option {
	return func(o *options) { o.meterProvider = build }
}

// WithTracerProvider makes the agent create its command spans with the
// bot's TracerProvider instead of building its own. nexusmon adds no OTLP
// span exporter to it.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) { o.tracerProvider = tp }
}

// WithResource adds attributes to the resource of the agent's own providers
// and of its reports (host.name), over nexusmon's defaults (service.name
// "nexusmon" or otlp.service_name, the host, the process, the SDK).
// OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, read through WithEnv's
// lookup, still win over it. A provider given with WithMeterProvider or
// WithTracerProvider keeps the resource the bot built it with.
func WithResource(res *resource.Resource) Option { return func(o *options) { o.resource = res } }

// sdkOptions are the options of this file.
type sdkOptions struct {
	meterProvider  func([]sdkmetric.Reader) *sdkmetric.MeterProvider
	tracerProvider trace.TracerProvider
	resource       *resource.Resource
}

// sdkState is what the agent keeps about the providers it uses.
type sdkState struct {
	promReg *prometheus.Registry // the Prometheus reader's registry
	botMP   bool                 // mp is the bot's: Stop leaves it running
}

// newMeterProvider builds the agent's MeterProvider with readers, or has the
// bot build its own with them.
func (a *Agent) newMeterProvider(res *resource.Resource) (*sdkmetric.MeterProvider, error) {
	if a.opts.meterProvider != nil {
		mp := a.opts.meterProvider(append([]sdkmetric.Reader(nil), a.readers...))
		if mp == nil {
			return nil, errors.New("WithMeterProvider: the build function returned a nil MeterProvider")
		}
		a.botMP = true
		return mp, nil
	}
	opts := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithView(slowexemplar.View)}
	for _, r := range a.readers {
		opts = append(opts, sdkmetric.WithReader(r))
	}
	return sdkmetric.NewMeterProvider(opts...), nil
}

// newPrometheusReader builds the reader behind MetricsHandler. It costs
// nothing until scraped: it collects on each scrape only.
func (a *Agent) newPrometheusReader() (sdkmetric.Reader, error) {
	reg := prometheus.NewRegistry()
	pe, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	a.promReg = reg
	return pe, nil
}

// MetricsHandler returns the Prometheus exposition of everything the
// agent's MeterProvider records (the bot's own instruments too, when it is
// the bot's provider) and of the watched process's provider, in the text
// or OpenMetrics format. It works whether
// or not http.listen is set, so a bot with its own HTTP server can mount it
// at /metrics and set http.listen to "".
func (a *Agent) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(a.promReg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}
