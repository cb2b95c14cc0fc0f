package otlpexport

// Forwarding what the OTLP receiver gets to the agent's own OTLP exporter
// endpoint, so nexusmon can sit between a bot and a Collector. Over
// OTLP/HTTP (http/protobuf, http/json) the request is POSTed as it was
// received, in its own encoding (an OTLP/HTTP receiver takes both), through
// the exporters' client and its retries; over grpc (a -tags nexusmon_grpc
// binary) it is decoded and sent through the OTLP gRPC clients.

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/nexusmon/nexusmon/config"
)

// forwardQueue bounds the requests waiting to be forwarded, per signal;
// past it requests are dropped (and counted by the receiver).
const forwardQueue = 64

// uploader sends one received request body, OTLP/JSON when asJSON.
type uploader interface {
	upload(ctx context.Context, body []byte, asJSON bool) error
	stop(ctx context.Context) error
}

// request is one received body waiting to be forwarded.
type request struct {
	body   []byte
	asJSON bool
}

// Forwarder is the OTLP receiver's Forwarder (receiver/otlp.Forwarder): one
// bounded queue and one goroutine per signal, from Start to Stop.
type Forwarder struct {
	traces    uploader // nil: traces are not forwarded
	metrics   uploader // nil: metrics are not forwarded
	tc, mc    *Counter
	traceQ    chan request
	metricQ   chan request
	wg        sync.WaitGroup
	stopOnce  sync.Once
	cancelRun context.CancelFunc
}

// NewForwarder returns the forwarder for the OTLP export settings of traces
// (ts) and metrics (ms), nil when neither signal is exported. env is the
// environment (os.LookupEnv) the endpoint, header, timeout, compression and
// certificate variables come from; log gets the export failures and
// recoveries.
func NewForwarder(ctx context.Context, ts, ms Settings, env func(string) (string, bool), log *slog.Logger) (*Forwarder, error) {
	if !ts.Enabled && !ms.Enabled {
		return nil, nil
	}
	f := &Forwarder{traceQ: make(chan request, forwardQueue), metricQ: make(chan request, forwardQueue)}
	var err error
	if ts.Enabled {
		if f.traces, err = newUploader(ctx, "traces", ts, env); err != nil {
			return nil, fmt.Errorf("trace forwarding: %w", err)
		}
		f.tc = NewCounter("otlp_forward_traces", log)
	}
	if ms.Enabled {
		if f.metrics, err = newUploader(ctx, "metrics", ms, env); err != nil {
			if f.traces != nil {
				_ = f.traces.stop(ctx)
			}
			return nil, fmt.Errorf("metric forwarding: %w", err)
		}
		f.mc = NewCounter("otlp_forward_metrics", log)
	}
	return f, nil
}

func newUploader(ctx context.Context, signal string, s Settings, env func(string) (string, bool)) (uploader, error) {
	if s.Protocol == config.ProtocolGRPC {
		if signal == "traces" {
			return newGRPCTraceUploader(ctx, s, env)
		}
		return newGRPCMetricUploader(ctx, s, env)
	}
	cfg, err := resolveHTTP(signal, s, env)
	if err != nil {
		return nil, err
	}
	return httpUploader{newHTTPClient(signal, cfg)}, nil
}

// httpUploader POSTs a body as it came.
type httpUploader struct{ c *httpClient }

func (h httpUploader) upload(ctx context.Context, body []byte, asJSON bool) error {
	return h.c.send(ctx, body, asJSON)
}

func (h httpUploader) stop(context.Context) error {
	h.c.close()
	return nil
}

// Start runs the queues until Stop.
func (f *Forwarder) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	f.cancelRun = cancel
	run := func(up uploader, q <-chan request, c *Counter) {
		defer f.wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case req := <-q:
				_ = c.result(up.upload(ctx, req.body, req.asJSON))
			}
		}
	}
	if f.traces != nil {
		f.wg.Add(1)
		go run(f.traces, f.traceQ, f.tc)
	}
	if f.metrics != nil {
		f.wg.Add(1)
		go run(f.metrics, f.metricQ, f.mc)
	}
}

// ForwardTraces queues body (a received request, OTLP/JSON when asJSON,
// else binary protobuf; the Forwarder keeps it); false when the queue is
// full.
func (f *Forwarder) ForwardTraces(body []byte, asJSON bool) bool {
	return forward(f.traces, f.traceQ, body, asJSON)
}

// ForwardMetrics queues body as ForwardTraces does.
func (f *Forwarder) ForwardMetrics(body []byte, asJSON bool) bool {
	return forward(f.metrics, f.metricQ, body, asJSON)
}

func forward(up uploader, q chan<- request, body []byte, asJSON bool) bool {
	if up == nil {
		return true // nothing to forward to: not a drop
	}
	select {
	case q <- request{body, asJSON}:
		return true
	default:
		return false
	}
}

// Stop ends the queues (requests still queued are dropped: the bot's SDK
// has already been answered) and closes the clients. Only the first call
// does anything.
func (f *Forwarder) Stop(ctx context.Context) error {
	var err error
	f.stopOnce.Do(func() {
		if f.cancelRun != nil {
			f.cancelRun()
		}
		f.wg.Wait()
		if f.traces != nil {
			err = f.traces.stop(ctx)
		}
		if f.metrics != nil {
			if merr := f.metrics.stop(ctx); err == nil {
				err = merr
			}
		}
	})
	return err
}

// Counters are the forwarder's export counters, for RegisterSelfMetrics;
// none for a nil Forwarder.
func (f *Forwarder) Counters() []*Counter {
	if f == nil {
		return nil
	}
	return []*Counter{f.tc, f.mc}
}
