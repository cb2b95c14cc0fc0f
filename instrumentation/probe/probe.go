package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/nexusmon/nexusmon/internal/names"
)

// Target kinds.
const (
	KindDiscordAPI = "discord_api" // a Discord REST endpoint; healthy means HTTP 200
	KindInternet   = "internet"    // any web site; healthy means 2xx or 3xx
)

// Defaults used when Options leaves a field zero.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultInterval = time.Minute
)

const (
	maxBodyBytes = 64 << 10 // response bodies are read at most this far
	maxRedirects = 3        // the own client follows at most this many
	userAgent    = "nexusmon-probe/1 (+https://github.com/nexusmon/nexusmon)"
)

// Phase names of the nexusmon.probe.phase attribute.
const (
	PhaseDNS       = "dns"
	PhaseConnect   = "connect"
	PhaseTLS       = "tls"
	PhaseFirstByte = "first_byte"
	PhaseTotal     = "total"
)

// Target is one URL to probe.
type Target struct {
	// URL is an absolute http or https URL. User information and query are
	// allowed (some health endpoints need a key) but are never reported.
	URL string
	// Kind is KindDiscordAPI or KindInternet; empty means KindInternet.
	Kind string
	// WantStatus decides whether a response status is a success. Nil means
	// 200 for KindDiscordAPI and any 2xx or 3xx for KindInternet.
	WantStatus func(int) bool
}

// Options configures a Prober. Every field is optional except Targets.
type Options struct {
	// Targets are probed in parallel, each in its own goroutine.
	Targets []Target
	// Timeout bounds one probe, from DNS to the last body byte read.
	// Zero means DefaultTimeout.
	Timeout time.Duration
	// Interval is the time between two rounds of Start. Zero means
	// DefaultInterval.
	Interval time.Duration
	// Client sends the requests. Nil means a client of the Prober's own
	// that opens a fresh connection per probe (so DNS, connect and TLS are
	// measured every time) and follows at most 3 redirects. Requests are
	// always sent with Close set, so an injected client does not reuse
	// connections either.
	Client *http.Client
	// Logger receives state changes (a target going down or coming back).
	// Nil discards them.
	Logger *slog.Logger
	// Now stamps results and drives the availability window. Nil means
	// time.Now. Phase durations always use the monotonic clock, because
	// they measure real I/O.
	Now func() time.Time
}

// Result is the outcome of one probe of one target.
type Result struct {
	Target string    // the URL without user information, query and fragment
	Kind   string    // KindDiscordAPI or KindInternet
	At     time.Time // when the probe started, from Options.Now
	OK     bool      // a response arrived in time with a wanted status
	Status int       // HTTP status; 0 when no response arrived
	// ErrorType is "" on success, else one of the Error* constants.
	ErrorType string
	// Error describes the failure without the URL's user information or
	// query; "" on success.
	Error string
	// Phase durations; zero for a phase that did not happen (no DNS for an
	// IP literal, no TLS for http, no first byte after a connect failure).
	DNS, Connect, TLS, FirstByte, Total time.Duration
	// Availability is the success ratio over the last AvailabilityWindow,
	// this probe included.
	Availability float64
}

// target is a validated Target with what the hot paths need pre-built.
type target struct {
	kind    string
	name    string // sanitised URL
	u       *url.URL
	want    func(int) bool
	obs     []metric.ObserveOption    // target + kind
	phase   [5][]metric.ObserveOption // target + kind + phase, in phaseNames order
	history *history
}

var phaseNames = [5]string{PhaseDNS, PhaseConnect, PhaseTLS, PhaseFirstByte, PhaseTotal}

// Prober probes a fixed set of targets. Its methods are safe for concurrent
// use. Start and Stop may be called more than once; ProbeOnce may run while
// the background loop runs.
type Prober struct {
	client    *http.Client
	ownClient bool
	timeout   time.Duration
	interval  time.Duration
	log       *slog.Logger
	now       func() time.Time
	targets   []*target

	errCount metric.Int64Counter
	reg      metric.Registration

	mu     sync.Mutex // guards latest and every target's history
	latest []Result   // by target index; zero At means never probed

	runMu  sync.Mutex // guards cancel and serialises Start/Stop
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New validates opts and returns a Prober whose instruments are registered
// on mp (nil means a no-op provider). It does not start probing.
func New(mp metric.MeterProvider, opts Options) (*Prober, error) {
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	p := &Prober{
		client:   opts.Client,
		timeout:  opts.Timeout,
		interval: opts.Interval,
		log:      opts.Logger,
		now:      opts.Now,
	}
	if p.timeout <= 0 {
		p.timeout = DefaultTimeout
	}
	if p.interval <= 0 {
		p.interval = DefaultInterval
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.client == nil {
		p.client = newClient(p.timeout)
		p.ownClient = true
	}

	var errs []error
	if len(opts.Targets) == 0 {
		errs = append(errs, errors.New("no targets"))
	}
	seen := make(map[string]bool)
	for i, t := range opts.Targets {
		pt, err := newTarget(t, p.interval)
		if err != nil {
			errs = append(errs, fmt.Errorf("target %d: %w", i, err))
			continue
		}
		if seen[pt.name+" "+pt.kind] {
			errs = append(errs, fmt.Errorf("target %d: duplicate target %s", i, pt.name))
			continue
		}
		seen[pt.name+" "+pt.kind] = true
		p.targets = append(p.targets, pt)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("probe options: %w", err)
	}
	p.latest = make([]Result, len(p.targets))
	if err := p.instrument(mp); err != nil {
		return nil, err
	}
	return p, nil
}

func newTarget(t Target, interval time.Duration) (*target, error) {
	kind := t.Kind
	if kind == "" {
		kind = KindInternet
	}
	if kind != KindDiscordAPI && kind != KindInternet {
		return nil, fmt.Errorf("kind %q: want %s or %s", t.Kind, KindDiscordAPI, KindInternet)
	}
	u, err := url.Parse(t.URL)
	if err != nil {
		// url.Parse quotes the whole URL in its error, secrets included.
		return nil, errors.New("invalid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("URL %s: scheme must be http or https", sanitizeURL(u))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("URL %s: no host", sanitizeURL(u))
	}
	want := t.WantStatus
	if want == nil {
		if kind == KindDiscordAPI {
			want = func(s int) bool { return s == http.StatusOK }
		} else {
			want = func(s int) bool { return s >= 200 && s < 400 }
		}
	}
	pt := &target{
		kind:    kind,
		name:    sanitizeURL(u),
		u:       u,
		want:    want,
		history: newHistory(historyCapacity(interval)),
	}
	base := []attribute.KeyValue{
		attribute.String(names.AttrProbeTarget, pt.name),
		attribute.String(names.AttrProbeKind, kind),
	}
	pt.obs = []metric.ObserveOption{metric.WithAttributeSet(attribute.NewSet(base...))}
	for i, ph := range phaseNames {
		set := attribute.NewSet(append(base[:2:2], attribute.String(names.AttrProbePhase, ph))...)
		pt.phase[i] = []metric.ObserveOption{metric.WithAttributeSet(set)}
	}
	return pt, nil
}

// newClient returns the Prober's own client: a fresh connection per probe,
// the probe timeout as a second bound behind the request context, and
// redirects followed at most maxRedirects times (the last redirect
// response is then the result, which KindInternet counts as a success).
func newClient(timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

func (p *Prober) instrument(mp metric.MeterProvider) error {
	m := mp.Meter(names.ScopeProbe)
	dur, err := m.Float64ObservableGauge(names.ProbeDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of each phase of the last probe of a target."))
	if err != nil {
		return fmt.Errorf("create %s: %w", names.ProbeDuration, err)
	}
	up, err := m.Int64ObservableGauge(names.ProbeUp, metric.WithUnit("1"),
		metric.WithDescription("1 if the last probe of a target succeeded, else 0."))
	if err != nil {
		return fmt.Errorf("create %s: %w", names.ProbeUp, err)
	}
	status, err := m.Int64ObservableGauge(names.ProbeStatusCode,
		metric.WithDescription("HTTP status of the last probe of a target; 0 when no response arrived."))
	if err != nil {
		return fmt.Errorf("create %s: %w", names.ProbeStatusCode, err)
	}
	avail, err := m.Float64ObservableGauge(names.ProbeAvailability, metric.WithUnit("1"),
		metric.WithDescription("Share of successful probes of a target over the last hour."))
	if err != nil {
		return fmt.Errorf("create %s: %w", names.ProbeAvailability, err)
	}
	p.errCount, err = m.Int64Counter(names.ProbeErrors, metric.WithUnit("{error}"),
		metric.WithDescription("Failed probes by error type."))
	if err != nil {
		return fmt.Errorf("create %s: %w", names.ProbeErrors, err)
	}
	p.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		p.mu.Lock()
		defer p.mu.Unlock()
		for i, t := range p.targets {
			r := &p.latest[i]
			if r.At.IsZero() {
				continue
			}
			upv := int64(0)
			if r.OK {
				upv = 1
			}
			o.ObserveInt64(up, upv, t.obs...)
			o.ObserveInt64(status, int64(r.Status), t.obs...)
			o.ObserveFloat64(avail, r.Availability, t.obs...)
			for j, d := range [5]time.Duration{r.DNS, r.Connect, r.TLS, r.FirstByte, r.Total} {
				if d > 0 || j == 4 {
					o.ObserveFloat64(dur, d.Seconds(), t.phase[j]...)
				}
			}
		}
		return nil
	}, dur, up, status, avail)
	if err != nil {
		return fmt.Errorf("register probe callback: %w", err)
	}
	return nil
}

// Start runs a first round at once and then one every Interval, each target
// in its own goroutine, until ctx ends or Stop is called. It returns at
// once; a slow target delays neither the caller nor the other targets.
// Calling Start while running does nothing.
func (p *Prober) Start(ctx context.Context) {
	p.runMu.Lock()
	defer p.runMu.Unlock()
	if p.cancel != nil {
		return
	}
	ctx, p.cancel = context.WithCancel(ctx)
	for i := range p.targets {
		p.wg.Add(1)
		go p.loop(ctx, i)
	}
}

// Stop cancels the probes in flight and waits for the goroutines Start
// started. The instruments keep reporting the last results. Stop without
// Start, or twice, is harmless.
func (p *Prober) Stop() {
	p.runMu.Lock()
	defer p.runMu.Unlock()
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.wg.Wait()
	p.cancel = nil
	if p.ownClient {
		p.client.CloseIdleConnections()
	}
}

// Close stops probing and unregisters the instruments' callback.
func (p *Prober) Close() error {
	p.Stop()
	if err := p.reg.Unregister(); err != nil {
		return fmt.Errorf("unregister probe callback: %w", err)
	}
	return nil
}

func (p *Prober) loop(ctx context.Context, i int) {
	defer p.wg.Done()
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		if r, ok := p.probe(ctx, p.targets[i]); ok {
			p.record(i, r)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Results returns a copy of the latest result of every target that has been
// probed at least once, in the order of Options.Targets.
func (p *Prober) Results() []Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Result, 0, len(p.latest))
	for _, r := range p.latest {
		if !r.At.IsZero() {
			out = append(out, r)
		}
	}
	return out
}

// ProbeOnce probes every target once, in parallel, waits for all of them
// and returns their results in the order of Options.Targets. The results
// also update Results and the instruments, unless ctx was cancelled.
func (p *Prober) ProbeOnce(ctx context.Context) []Result {
	out := make([]Result, len(p.targets))
	keep := make([]bool, len(p.targets))
	var wg sync.WaitGroup
	for i, t := range p.targets {
		wg.Go(func() {
			out[i], keep[i] = p.probe(ctx, t)
		})
	}
	wg.Wait()
	for i := range out {
		if keep[i] {
			out[i] = p.record(i, out[i])
		}
	}
	return out
}

// record stores r as the latest result of target i, adds it to the
// availability ring and counts a failure. It returns r with Availability set.
func (p *Prober) record(i int, r Result) Result {
	t := p.targets[i]
	p.mu.Lock()
	t.history.add(outcome{at: r.At, ok: r.OK})
	r.Availability = t.history.ratio(p.now(), AvailabilityWindow)
	prev := p.latest[i]
	p.latest[i] = r
	p.mu.Unlock()

	if !r.OK {
		p.errCount.Add(context.Background(), 1, metric.WithAttributes(
			attribute.String(names.AttrProbeTarget, t.name),
			attribute.String(names.AttrProbeKind, t.kind),
			attribute.String(names.AttrErrorType, r.ErrorType)))
	}
	switch {
	case !r.OK && (prev.At.IsZero() || prev.OK):
		p.log.Warn("probe failed", "target", t.name, "kind", t.kind,
			"error.type", r.ErrorType, "status", r.Status, "error", r.Error)
	case r.OK && !prev.At.IsZero() && !prev.OK:
		p.log.Info("probe recovered", "target", t.name, "kind", t.kind, "status", r.Status)
	}
	return r
}

// timing collects httptrace timestamps. The hooks may run on several
// goroutines (parallel dials for dual-stack hosts), hence the mutex; only
// the first occurrence of each event counts, so a redirect does not
// overwrite the first hop's phases.
type timing struct {
	mu                          sync.Mutex
	dnsStart, dnsDone           time.Time
	connStart, connDone         time.Time
	tlsStart, tlsDone           time.Time
	firstByte                   time.Time
	tlsStarted, tlsHandshakeEnd bool
}

func setOnce(mu *sync.Mutex, t *time.Time) {
	mu.Lock()
	if t.IsZero() {
		*t = time.Now()
	}
	mu.Unlock()
}

func (tm *timing) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) { setOnce(&tm.mu, &tm.dnsStart) },
		DNSDone:  func(httptrace.DNSDoneInfo) { setOnce(&tm.mu, &tm.dnsDone) },
		ConnectStart: func(string, string) {
			setOnce(&tm.mu, &tm.connStart)
		},
		ConnectDone: func(_, _ string, err error) {
			if err == nil {
				setOnce(&tm.mu, &tm.connDone)
			}
		},
		TLSHandshakeStart: func() {
			setOnce(&tm.mu, &tm.tlsStart)
			tm.mu.Lock()
			tm.tlsStarted = true
			tm.mu.Unlock()
		},
		TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
			if err == nil {
				setOnce(&tm.mu, &tm.tlsDone)
			}
			tm.mu.Lock()
			tm.tlsHandshakeEnd = err == nil
			tm.mu.Unlock()
		},
		GotFirstResponseByte: func() { setOnce(&tm.mu, &tm.firstByte) },
	}
}

func span(a, b time.Time) time.Duration {
	if a.IsZero() || b.IsZero() || b.Before(a) {
		return 0
	}
	return b.Sub(a)
}

// probe sends one request to t. The second result is false when ctx itself
// was cancelled (Stop or the caller), in which case the result says
// nothing about the target and must not be recorded.
func (p *Prober) probe(ctx context.Context, t *target) (Result, bool) {
	r := Result{Target: t.name, Kind: t.kind, At: p.now()}
	pctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	tm := &timing{}
	pctx = httptrace.WithClientTrace(pctx, tm.trace())
	req, err := http.NewRequestWithContext(pctx, http.MethodGet, t.u.String(), nil)
	if err != nil {
		r.ErrorType, r.Error = ErrorOther, errorText(err, t.u, t.name)
		return r, ctx.Err() == nil
	}
	req.Close = true
	req.Header.Set("User-Agent", userAgent)

	start := time.Now()
	resp, err := p.client.Do(req)
	if err == nil {
		r.Status = resp.StatusCode
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodyBytes))
		// The body was read as far as we care; a failing Close adds nothing.
		_ = resp.Body.Close()
	}
	end := time.Now()
	if ctx.Err() != nil {
		return r, false
	}

	tm.mu.Lock()
	r.DNS = span(tm.dnsStart, tm.dnsDone)
	r.Connect = span(tm.connStart, tm.connDone)
	r.TLS = span(tm.tlsStart, tm.tlsDone)
	r.FirstByte = span(start, tm.firstByte)
	ph := phases{tlsStarted: tm.tlsStarted, tlsDone: tm.tlsHandshakeEnd}
	tm.mu.Unlock()
	r.Total = end.Sub(start)

	switch {
	case err != nil:
		deadline := errors.Is(pctx.Err(), context.DeadlineExceeded)
		r.ErrorType = classify(err, deadline, ph)
		r.Error = errorText(err, t.u, t.name)
	case !t.want(r.Status):
		r.ErrorType = ErrorStatus
		r.Error = fmt.Sprintf("get %s: unexpected status %d", t.name, r.Status)
	default:
		r.OK = true
	}
	return r, true
}
