// Package otlp is nexusmon's OTLP/HTTP receiver: a bot written in another
// language (discord.js, discord.py) sends its command spans and its session
// and runtime metrics, named as docs/conventions.md says, and gets the same
// reports as a Go bot. Command spans are recorded through a Recorder (the
// bot instrumentation's Instruments), the latest point of each recognised
// metric series is kept for the reports (Points), and everything received
// can be forwarded to the agent's own OTLP exporter (Forwarder).
//
// It is bounded everywhere: request size (also after gunzip), requests in
// flight, spans and points accepted per minute, series kept, and the
// Recorder's own bounds on commands and error types. Handlers never wait on
// the agent. Bind it to loopback: OTLP has no authentication.
package otlp

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/nexusmon/nexusmon/instrumentation/bot"
	"github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/internal/otlpwire"
)

// Defaults of Options.
const (
	DefaultMaxRequestBytes    = 4 << 20
	DefaultMaxSpansPerMinute  = 60000
	DefaultMaxPointsPerMinute = 20000
	DefaultMaxSeries          = 1000
	// StaleAfter is how long a series is kept (and reported) after its
	// last point: a bot that stops sending stops being reported.
	StaleAfter = 5 * time.Minute
	// maxInFlight bounds the requests decoded at once; more get 429.
	maxInFlight = 4
)

// Recorder records a command invocation that ran in the bot
// (bot.Instruments does).
type Recorder interface {
	RecordInvocation(bot.Invocation) error
}

// Forwarder sends received data on (to the agent's OTLP exporter): body is
// the request as received, decompressed, in OTLP/JSON when json, else
// binary protobuf; it is the Forwarder's to keep. Both methods must return
// at once: queue, or drop and return false.
type Forwarder interface {
	ForwardTraces(body []byte, json bool) bool
	ForwardMetrics(body []byte, json bool) bool
}

// Options configures a Receiver. Zero values mean the defaults.
type Options struct {
	MaxRequestBytes    int64 // per request body, compressed and decompressed
	MaxSpansPerMinute  int   // command spans recorded per minute
	MaxPointsPerMinute int   // metric points kept per minute
	MaxSeries          int   // metric series kept
	Recorder           Recorder
	Forwarder          Forwarder // nil: no forwarding
	MeterProvider      metric.MeterProvider
	Logger             *slog.Logger
	Now                func() time.Time
}

// Receiver receives OTLP/HTTP. Its Handler serves POST /v1/traces and
// /v1/metrics; Start serves it on an address.
type Receiver struct {
	opts   Options
	now    func() time.Time
	log    *slog.Logger
	state  *state
	spans  *limiter
	points *limiter
	sem    chan struct{}
	mux    *http.ServeMux

	requests, accepted, dropped, fwdDropped metric.Int64Counter

	srvMu sync.Mutex
	srv   *http.Server
	addr  net.Addr
	done  chan error
}

// New returns a Receiver; it serves nothing until Start (or its Handler is
// mounted).
func New(opts Options) (*Receiver, error) {
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if opts.MaxSpansPerMinute <= 0 {
		opts.MaxSpansPerMinute = DefaultMaxSpansPerMinute
	}
	if opts.MaxPointsPerMinute <= 0 {
		opts.MaxPointsPerMinute = DefaultMaxPointsPerMinute
	}
	if opts.MaxSeries <= 0 {
		opts.MaxSeries = DefaultMaxSeries
	}
	if opts.MeterProvider == nil {
		opts.MeterProvider = metricnoop.NewMeterProvider()
	}
	r := &Receiver{
		opts:   opts,
		now:    opts.Now,
		log:    opts.Logger,
		state:  newState(opts.MaxSeries, StaleAfter),
		spans:  &limiter{max: opts.MaxSpansPerMinute},
		points: &limiter{max: opts.MaxPointsPerMinute},
		sem:    make(chan struct{}, maxInFlight),
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	m := opts.MeterProvider.Meter(names.ScopeReceiver)
	var errs []error
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	r.requests = counter(names.ReceiverRequests, "{request}", "OTLP/HTTP requests received, by response status code.")
	r.accepted = counter(names.ReceiverAccepted, "{item}", "Command spans recorded and metric points kept.")
	r.dropped = counter(names.ReceiverDropped, "{item}", "Spans and points not used, by reason.")
	r.fwdDropped = counter(names.ReceiverForwardDropped, "{request}", "Received requests not forwarded to the OTLP exporter.")
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("create receiver instruments: %w", err)
	}
	r.mux = http.NewServeMux()
	r.mux.HandleFunc("/v1/traces", func(w http.ResponseWriter, req *http.Request) { r.serve(w, req, r.traces) })
	r.mux.HandleFunc("/v1/metrics", func(w http.ResponseWriter, req *http.Request) { r.serve(w, req, r.metrics) })
	return r, nil
}

// Handler serves POST /v1/traces and /v1/metrics.
func (r *Receiver) Handler() http.Handler { return r.mux }

// Start listens on addr and serves until Shutdown.
func (r *Receiver) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           r.mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	r.srvMu.Lock()
	r.srv, r.addr, r.done = srv, ln.Addr(), make(chan error, 1)
	r.srvMu.Unlock()
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		r.done <- err
	}()
	return nil
}

// Addr is the address Start listens on (nil before Start).
func (r *Receiver) Addr() net.Addr {
	r.srvMu.Lock()
	defer r.srvMu.Unlock()
	return r.addr
}

// Shutdown stops the server started by Start, waiting for requests in
// progress until ctx ends.
func (r *Receiver) Shutdown(ctx context.Context) error {
	r.srvMu.Lock()
	srv, done := r.srv, r.done
	r.srv = nil
	r.srvMu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	if err != nil {
		_ = srv.Close()
	}
	if serr := <-done; serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("stop otlp receiver: %w", err)
	}
	return nil
}

// Points appends the latest point of every fresh series to dst.
func (r *Receiver) Points(dst []Point) []Point { return r.state.points(dst, r.now()) }

// export handles one decoded body: it returns the number of items
// rejected and why, for partial_success, and the response to send.
type export func(body []byte, enc encoding) (resp []byte, err error)

// errTooLarge is a body past MaxRequestBytes, before or after gunzip.
var errTooLarge = errors.New("request body too large")

// serve is the OTLP/HTTP protocol around one export.
func (r *Receiver) serve(w http.ResponseWriter, req *http.Request, ex export) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		r.plain(w, http.StatusMethodNotAllowed, "use POST")
		return
	}
	enc := contentEncoding(req.Header.Get("Content-Type"))
	if enc == 0 {
		r.plain(w, http.StatusUnsupportedMediaType, "content type must be application/x-protobuf or application/json")
		return
	}
	gz := false
	switch req.Header.Get("Content-Encoding") {
	case "", "identity":
	case "gzip":
		gz = true
	default:
		r.plain(w, http.StatusUnsupportedMediaType, "content encoding must be gzip or none")
		return
	}
	select {
	case r.sem <- struct{}{}:
		defer func() { <-r.sem }()
	default:
		w.Header().Set("Retry-After", "1")
		r.status(w, enc, http.StatusTooManyRequests, "too many requests in progress")
		return
	}
	buf := getBuffer()
	defer putBuffer(buf)
	body, err := r.readBody(w, req, gz, buf)
	switch {
	case errors.Is(err, errTooLarge):
		r.status(w, enc, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", r.opts.MaxRequestBytes))
		return
	case err != nil:
		r.status(w, enc, http.StatusBadRequest, err.Error())
		return
	}
	resp, err := ex(body, enc)
	if err != nil {
		r.status(w, enc, http.StatusBadRequest, err.Error())
		return
	}
	r.respond(w, enc, http.StatusOK, resp)
}

// buffers are request body buffers, reused: the decoders copy what they
// keep. Buffers grown past maxPooled are left to the GC.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooled = 1 << 20

func getBuffer() *bytes.Buffer { return buffers.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooled {
		b.Reset()
		buffers.Put(b)
	}
}

// readBody reads the body into buf, gunzipped, refusing more than
// MaxRequestBytes either way.
func (r *Receiver) readBody(w http.ResponseWriter, req *http.Request, gz bool, buf *bytes.Buffer) ([]byte, error) {
	max := r.opts.MaxRequestBytes
	if req.ContentLength > max {
		return nil, errTooLarge
	}
	var src io.Reader = http.MaxBytesReader(w, req.Body, max)
	if gz {
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, tooLargeOr(fmt.Errorf("read gzip body: %w", err))
		}
		defer zr.Close()
		src = zr
	}
	if req.ContentLength > 0 && !gz {
		// ReadFrom wants MinRead bytes free before it sees EOF.
		buf.Grow(int(req.ContentLength) + bytes.MinRead)
	}
	n, err := buf.ReadFrom(io.LimitReader(src, max+1))
	if err != nil {
		return nil, tooLargeOr(fmt.Errorf("read body: %w", err))
	}
	if n > max {
		return nil, errTooLarge
	}
	return buf.Bytes(), nil
}

func tooLargeOr(err error) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return errTooLarge
	}
	return err
}

// contentEncoding maps a Content-Type to an encoding, 0 when unsupported.
func contentEncoding(ct string) encoding {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return 0
	}
	switch mt {
	case "application/x-protobuf":
		return encProtobuf
	case "application/json":
		return encJSON
	}
	return 0
}

// status answers with a google.rpc.Status, as OTLP/HTTP asks for errors.
func (r *Receiver) status(w http.ResponseWriter, enc encoding, code int, msg string) {
	r.write(w, enc, code, &statuspb.Status{Code: grpcCode(code), Message: msg})
}

// grpcCode is the google.rpc.Code closest to an HTTP status.
func grpcCode(code int) int32 {
	switch code {
	case http.StatusBadRequest:
		return 3 // INVALID_ARGUMENT
	case http.StatusRequestEntityTooLarge:
		return 11 // OUT_OF_RANGE
	case http.StatusTooManyRequests:
		return 8 // RESOURCE_EXHAUSTED
	}
	return 2 // UNKNOWN
}

func (r *Receiver) write(w http.ResponseWriter, enc encoding, code int, m proto.Message) {
	var b []byte
	var err error
	if enc == encJSON {
		b, err = protojson.Marshal(m)
	} else {
		b, err = proto.Marshal(m)
	}
	if err != nil { // unreachable: the messages are ours
		r.plain(w, http.StatusInternalServerError, "encode response")
		return
	}
	r.respond(w, enc, code, b)
}

// respond sends b, encoded as enc.
func (r *Receiver) respond(w http.ResponseWriter, enc encoding, code int, b []byte) {
	if enc == encJSON {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "application/x-protobuf")
	}
	r.count(code)
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

func (r *Receiver) plain(w http.ResponseWriter, code int, msg string) {
	r.count(code)
	http.Error(w, msg, code)
}

func (r *Receiver) count(code int) {
	r.requests.Add(context.Background(), 1, metric.WithAttributes(attribute.Int(names.AttrStatusCode, code)))
}

// Reasons of nexusmon.receiver.dropped.
const (
	ReasonRateLimited   = "rate_limited"   // past max_spans_per_minute or max_points_per_minute
	ReasonInvalid       = "invalid"        // a command span or point that cannot be used
	ReasonNotCommand    = "not_command"    // a span that is not a command span
	ReasonUnknownMetric = "unknown_metric" // a metric name docs/conventions.md does not list
	ReasonCommandLimit  = "command_limit"  // a new command past bot.MaxRemoteCommands
	ReasonSeriesLimit   = "series_limit"   // a new series past max_series
)

// tally counts one request's items by outcome, recorded once.
type tally struct {
	accepted int64
	dropped  map[string]int64
	rejected int64 // reported in partial_success
}

func (t *tally) drop(reason string, rejected bool) {
	if t.dropped == nil {
		t.dropped = make(map[string]int64, 2)
	}
	t.dropped[reason]++
	if rejected {
		t.rejected++
	}
}

func (r *Receiver) record(signal string, t *tally) {
	ctx := context.Background()
	sig := attribute.String(names.AttrReceiverSignal, signal)
	if t.accepted > 0 {
		r.accepted.Add(ctx, t.accepted, metric.WithAttributes(sig))
	}
	for reason, n := range t.dropped {
		r.dropped.Add(ctx, n, metric.WithAttributes(sig, attribute.String(names.AttrReceiverReason, reason)))
	}
}

// partial is the partial_success of t; what names the items.
func (t *tally) partial(what string) otlpwire.PartialSuccess {
	if t.rejected == 0 {
		return otlpwire.PartialSuccess{}
	}
	return otlpwire.PartialSuccess{Rejected: t.rejected, Message: t.message(what)}
}

// message is the partial_success error message of t.
func (t *tally) message(what string) string {
	if t.rejected == 0 {
		return ""
	}
	parts := ""
	for _, reason := range []string{ReasonRateLimited, ReasonInvalid, ReasonCommandLimit, ReasonSeriesLimit} {
		if n := t.dropped[reason]; n > 0 {
			if parts != "" {
				parts += ", "
			}
			parts += fmt.Sprintf("%d %s", n, reason)
		}
	}
	return fmt.Sprintf("nexusmon rejected %d %s: %s", t.rejected, what, parts)
}

// limiter caps items per minute (a fixed window).
type limiter struct {
	max   int
	mu    sync.Mutex
	start time.Time
	n     int
}

// take reports whether one more item fits in the window of now.
func (l *limiter) take(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.start.IsZero() || now.Sub(l.start) >= time.Minute || now.Before(l.start) {
		l.start, l.n = now, 0
	}
	if l.n >= l.max {
		return false
	}
	l.n++
	return true
}
