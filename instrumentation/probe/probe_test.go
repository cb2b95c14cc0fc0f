package probe

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/goleak"

	"github.com/nexusmon/nexusmon/internal/metrictest"
	"github.com/nexusmon/nexusmon/internal/names"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeDNS answers every query on 127.0.0.1 with NXDOMAIN, so a test can
// resolve a name without any traffic off loopback.
func fakeDNS(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := nxdomain(buf[:n]); resp != nil {
				if _, err := pc.WriteTo(resp, addr); err != nil {
					return
				}
			}
		}
	}()
	t.Cleanup(func() {
		// Closing unblocks ReadFrom; the goroutine then exits.
		_ = pc.Close()
		<-done
	})
	return pc.LocalAddr().String()
}

// nxdomain turns a DNS query into an NXDOMAIN answer carrying the same ID
// and question, without additional records.
func nxdomain(q []byte) []byte {
	if len(q) < 12 {
		return nil
	}
	i := 12
	for i < len(q) && q[i] != 0 {
		i += int(q[i]) + 1
	}
	i += 5 // zero label, QTYPE, QCLASS
	if i > len(q) {
		return nil
	}
	r := append([]byte(nil), q[:i]...)
	r[2] = 0x80 | 0x04 | (q[2] & 0x01) // QR, AA, copy RD
	r[3] = 0x80 | 0x03                 // RA, RCODE=NXDOMAIN
	r[4], r[5] = 0, 1                  // QDCOUNT 1
	for j := 6; j < 12; j++ {
		r[j] = 0 // ANCOUNT, NSCOUNT, ARCOUNT
	}
	return r
}

// resolvingClient resolves names through the fake DNS server at dnsAddr.
func resolvingClient(dnsAddr string) *http.Client {
	var d net.Dialer
	dialer := &net.Dialer{Resolver: &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "udp", dnsAddr)
		},
	}}
	return &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext, DisableKeepAlives: true}}
}

// refusedURL returns a loopback URL nobody listens on.
func refusedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr + "/"
}

func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestProber_ProbeOnce(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		setup      func(t *testing.T) (Target, *http.Client)
		timeout    time.Duration
		wantOK     bool
		wantStatus int
		wantType   string
		wantPhases bool // connect and first byte were measured
	}{
		"ok": {
			setup: func(t *testing.T) (Target, *http.Client) {
				srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
				return Target{URL: srv.URL + "/ok", Kind: KindInternet}, nil
			},
			wantOK: true, wantStatus: 200, wantPhases: true,
		},
		"discord api wants 200, not 204": {
			setup: func(t *testing.T) (Target, *http.Client) {
				srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
				return Target{URL: srv.URL + "/api/v10/gateway", Kind: KindDiscordAPI}, nil
			},
			wantStatus: 204, wantType: ErrorStatus, wantPhases: true,
		},
		"custom WantStatus": {
			setup: func(t *testing.T) (Target, *http.Client) {
				srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
				return Target{URL: srv.URL, WantStatus: func(s int) bool { return s == http.StatusTeapot }}, nil
			},
			wantOK: true, wantStatus: 418, wantPhases: true,
		},
		"503": {
			setup: func(t *testing.T) (Target, *http.Client) {
				srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
				return Target{URL: srv.URL, Kind: KindInternet}, nil
			},
			wantStatus: 503, wantType: ErrorStatus, wantPhases: true,
		},
		"slow beyond timeout": {
			setup: func(t *testing.T) (Target, *http.Client) {
				srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
					<-r.Context().Done() // released when the prober gives up
				})
				return Target{URL: srv.URL, Kind: KindInternet}, nil
			},
			timeout:  50 * time.Millisecond,
			wantType: ErrorTimeout,
		},
		"reset by hijack and close": {
			setup: func(t *testing.T) (Target, *http.Client) {
				srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
					conn, _, err := w.(http.Hijacker).Hijack()
					if err != nil {
						t.Error(err)
						return
					}
					if tc, ok := conn.(*net.TCPConn); ok {
						_ = tc.SetLinger(0) // send RST instead of FIN where possible
					}
					_ = conn.Close()
				})
				return Target{URL: srv.URL, Kind: KindInternet}, nil
			},
			wantType: ErrorReset,
		},
		"unresolvable host": {
			setup: func(t *testing.T) (Target, *http.Client) {
				return Target{URL: "http://nonexistent.invalid/", Kind: KindInternet}, resolvingClient(fakeDNS(t))
			},
			wantType: ErrorDNS,
		},
		"connection refused": {
			setup: func(t *testing.T) (Target, *http.Client) {
				return Target{URL: refusedURL(t), Kind: KindInternet}, nil
			},
			wantType: ErrorConnect,
		},
		"untrusted certificate": {
			setup: func(t *testing.T) (Target, *http.Client) {
				srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
				t.Cleanup(srv.Close)
				return Target{URL: srv.URL, Kind: KindInternet}, nil
			},
			wantType: ErrorTLS,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tgt, client := tc.setup(t)
			p, err := New(nil, Options{Targets: []Target{tgt}, Timeout: tc.timeout, Client: client})
			if err != nil {
				t.Fatal(err)
			}
			res := p.ProbeOnce(context.Background())
			if len(res) != 1 {
				t.Fatalf("got %d results, want 1", len(res))
			}
			r := res[0]
			if r.OK != tc.wantOK || r.Status != tc.wantStatus || r.ErrorType != tc.wantType {
				t.Errorf("got OK=%v status=%d type=%q (%s), want OK=%v status=%d type=%q",
					r.OK, r.Status, r.ErrorType, r.Error, tc.wantOK, tc.wantStatus, tc.wantType)
			}
			if (r.Error == "") != tc.wantOK {
				t.Errorf("Error = %q with OK=%v", r.Error, r.OK)
			}
			if r.Total <= 0 {
				t.Errorf("Total = %v, want > 0", r.Total)
			}
			if tc.wantPhases && (r.Connect <= 0 || r.FirstByte <= 0 || r.FirstByte > r.Total) {
				t.Errorf("phases connect=%v first_byte=%v total=%v", r.Connect, r.FirstByte, r.Total)
			}
			if r.DNS != 0 && strings.Contains(r.Target, "127.0.0.1") {
				t.Errorf("DNS = %v for an IP literal", r.DNS)
			}
			if got := p.Results(); len(got) != 1 || got[0] != r {
				t.Errorf("Results() = %+v, want the probe result", got)
			}
		})
	}
}

func TestProber_TLSPhases(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	p, err := New(nil, Options{Targets: []Target{{URL: srv.URL}}, Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	r := p.ProbeOnce(context.Background())[0]
	if !r.OK || r.TLS <= 0 || r.Connect <= 0 || r.FirstByte < r.TLS {
		t.Errorf("got %+v, want OK with TLS and connect phases", r)
	}
}

func TestProber_Redirects(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		chain      int // redirects before the final 200
		wantStatus int
		wantHits   int64
	}{
		"two redirects are followed":   {chain: 2, wantStatus: 200, wantHits: 3},
		"three redirects are followed": {chain: 3, wantStatus: 200, wantHits: 4},
		"the fourth is not":            {chain: 5, wantStatus: 302, wantHits: 4},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int64
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
				if err != nil || n == 0 {
					return
				}
				http.Redirect(w, r, "/"+strconv.Itoa(n-1), http.StatusFound)
			})
			p, err := New(nil, Options{Targets: []Target{{URL: srv.URL + "/" + strconv.Itoa(tc.chain)}}})
			if err != nil {
				t.Fatal(err)
			}
			r := p.ProbeOnce(context.Background())[0]
			if !r.OK || r.Status != tc.wantStatus || hits.Load() != tc.wantHits {
				t.Errorf("got OK=%v status=%d hits=%d, want OK status=%d hits=%d",
					r.OK, r.Status, hits.Load(), tc.wantStatus, tc.wantHits)
			}
		})
	}
}

// countingTransport records how much of each response body was read and
// whether it was closed.
type countingTransport struct {
	base   http.RoundTripper
	read   atomic.Int64
	closed atomic.Bool
}

type countingBody struct {
	io.ReadCloser
	t *countingTransport
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.t.read.Add(int64(n))
	return n, err
}

func (b countingBody) Close() error {
	b.t.closed.Store(true)
	return b.ReadCloser.Close()
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	if err == nil {
		resp.Body = countingBody{resp.Body, c}
	}
	return resp, err
}

func TestProber_BodyLimit(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		chunk := strings.Repeat("x", 32<<10)
		for range 32 { // 1 MiB, stops early when the client hangs up
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	})
	ct := &countingTransport{base: &http.Transport{DisableKeepAlives: true}}
	p, err := New(nil, Options{Targets: []Target{{URL: srv.URL}}, Client: &http.Client{Transport: ct}})
	if err != nil {
		t.Fatal(err)
	}
	r := p.ProbeOnce(context.Background())[0]
	if !r.OK {
		t.Fatalf("probe failed: %s", r.Error)
	}
	if got := ct.read.Load(); got != maxBodyBytes {
		t.Errorf("read %d body bytes, want %d", got, maxBodyBytes)
	}
	if !ct.closed.Load() {
		t.Error("body not closed")
	}
}

func TestProber_Sanitised(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	dns := fakeDNS(t)
	tests := map[string]struct {
		url    string
		client *http.Client
		want   string
	}{
		"status": {
			url:  strings.Replace(srv.URL, "http://", "http://probe:hunter2pw@", 1) + "/health?key=s3cr3tkey#frag",
			want: srv.URL + "/health",
		},
		"dns": {
			url:    "http://probe:hunter2pw@nonexistent.invalid/health?key=s3cr3tkey",
			client: resolvingClient(dns),
			want:   "http://nonexistent.invalid/health",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			reader := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			p, err := New(mp, Options{Targets: []Target{{URL: tc.url}}, Client: tc.client})
			if err != nil {
				t.Fatal(err)
			}
			r := p.ProbeOnce(context.Background())[0]
			if r.OK || r.Target != tc.want {
				t.Errorf("got OK=%v target %q, want a failure for %q", r.OK, r.Target, tc.want)
			}
			var rm metricdata.ResourceMetrics
			if err := reader.Collect(context.Background(), &rm); err != nil {
				t.Fatal(err)
			}
			dump := r.Error + " " + r.Target + " " + metrictest.AttrValues(rm)
			for _, secret := range []string{"hunter2pw", "s3cr3tkey", "probe:", "frag"} {
				if strings.Contains(dump, secret) {
					t.Errorf("%q leaked into %s", secret, dump)
				}
			}
		})
	}
}

// point finds the value of metric name with exactly the attributes kv.
func point(t *testing.T, rm metricdata.ResourceMetrics, name string, kv ...attribute.KeyValue) (float64, bool) {
	t.Helper()
	want := attribute.NewSet(kv...)
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != names.ScopeProbe {
			continue
		}
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					if p.Attributes.Equals(&want) {
						return float64(p.Value), true
					}
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					if p.Attributes.Equals(&want) {
						return p.Value, true
					}
				}
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					if p.Attributes.Equals(&want) {
						return float64(p.Value), true
					}
				}
			}
		}
	}
	return 0, false
}

func TestProber_AvailabilityAndMetrics(t *testing.T) {
	t.Parallel()
	var fail atomic.Bool
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		if fail.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	clk := newClock()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	p, err := New(mp, Options{Targets: []Target{{URL: srv.URL, Kind: KindDiscordAPI}}, Now: clk.Now, Interval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	target := attribute.String(names.AttrProbeTarget, srv.URL)
	kind := attribute.String(names.AttrProbeKind, KindDiscordAPI)

	steps := []struct {
		fail      bool
		advance   time.Duration
		wantAvail float64
	}{
		{fail: false, wantAvail: 1},
		{fail: false, advance: time.Minute, wantAvail: 1},
		{fail: true, advance: time.Minute, wantAvail: 2.0 / 3},
		{fail: false, advance: time.Minute, wantAvail: 3.0 / 4},
		{fail: true, advance: time.Minute, wantAvail: 3.0 / 5},
		// An hour later the five above have left the window.
		{fail: false, advance: time.Hour, wantAvail: 1},
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		fail.Store(st.fail)
		r := p.ProbeOnce(context.Background())[0]
		if r.OK == st.fail || !r.At.Equal(clk.Now()) {
			t.Fatalf("step %d: OK=%v At=%v", i, r.OK, r.At)
		}
		if diff := r.Availability - st.wantAvail; diff > 1e-9 || diff < -1e-9 {
			t.Errorf("step %d: availability %v, want %v", i, r.Availability, st.wantAvail)
		}
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		if v, ok := point(t, rm, names.ProbeAvailability, target, kind); !ok || v != r.Availability {
			t.Errorf("step %d: %s = %v (%v), want %v", i, names.ProbeAvailability, v, ok, r.Availability)
		}
		wantUp := 1.0
		if st.fail {
			wantUp = 0
		}
		if v, ok := point(t, rm, names.ProbeUp, target, kind); !ok || v != wantUp {
			t.Errorf("step %d: %s = %v (%v), want %v", i, names.ProbeUp, v, ok, wantUp)
		}
		if v, ok := point(t, rm, names.ProbeStatusCode, target, kind); !ok || int(v) != r.Status {
			t.Errorf("step %d: %s = %v (%v), want %d", i, names.ProbeStatusCode, v, ok, r.Status)
		}
		total, ok := point(t, rm, names.ProbeDuration, target, kind, attribute.String(names.AttrProbePhase, PhaseTotal))
		if !ok || total != r.Total.Seconds() {
			t.Errorf("step %d: total duration %v (%v), want %v", i, total, ok, r.Total.Seconds())
		}
		if _, ok := point(t, rm, names.ProbeDuration, target, kind, attribute.String(names.AttrProbePhase, PhaseTLS)); ok {
			t.Errorf("step %d: a TLS phase reported for plain http", i)
		}
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	if v, ok := point(t, rm, names.ProbeErrors, target, kind, attribute.String(names.AttrErrorType, ErrorStatus)); !ok || v != 2 {
		t.Errorf("%s{status} = %v (%v), want 2", names.ProbeErrors, v, ok)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestProber_StartStop(t *testing.T) {
	t.Parallel()
	hung := make(chan struct{}, 1)
	slow := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case hung <- struct{}{}:
		default:
		}
		<-r.Context().Done()
	})
	var fastHits atomic.Int64
	fast := newServer(t, func(http.ResponseWriter, *http.Request) { fastHits.Add(1) })
	p, err := New(nil, Options{
		Targets:  []Target{{URL: slow.URL + "/hung"}, {URL: fast.URL + "/fast"}},
		Timeout:  time.Hour, // only Stop can end the hung probe
		Interval: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	p.Start(context.Background())
	p.Start(context.Background()) // a second Start is a no-op

	<-hung
	// The fast target keeps being probed while the slow one hangs.
	for fastHits.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	res := p.Results()
	if len(res) != 1 || res[0].Target != fast.URL+"/fast" || !res[0].OK {
		t.Errorf("Results() = %+v, want only the fast target, OK", res)
	}

	stopped := make(chan struct{})
	go func() {
		p.Stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("Stop did not return with a hung target in flight")
	}
	p.Stop() // a second Stop is harmless
	for _, r := range p.Results() {
		if r.Target == slow.URL+"/hung" {
			t.Errorf("the cancelled probe was recorded: %+v", r)
		}
	}
}

func TestProber_StartFirstRoundAtOnce(t *testing.T) {
	t.Parallel()
	hit := make(chan struct{}, 1)
	srv := newServer(t, func(http.ResponseWriter, *http.Request) {
		select {
		case hit <- struct{}{}:
		default:
		}
	})
	// With an hour between rounds, a probe can only come from the first round.
	p, err := New(nil, Options{Targets: []Target{{URL: srv.URL}}, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.Start(ctx)
	<-hit
	cancel() // the caller's context ends the loop too
	p.Stop()
}

func TestNew_Validation(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		opts    Options
		wantErr string
	}{
		"no targets":  {opts: Options{}, wantErr: "no targets"},
		"bad kind":    {opts: Options{Targets: []Target{{URL: "http://x/", Kind: "ftp"}}}, wantErr: "kind"},
		"bad scheme":  {opts: Options{Targets: []Target{{URL: "ftp://x/"}}}, wantErr: "scheme"},
		"no host":     {opts: Options{Targets: []Target{{URL: "http:///path"}}}, wantErr: "no host"},
		"unparseable": {opts: Options{Targets: []Target{{URL: "http://user:pw%zz@x/"}}}, wantErr: "invalid URL"},
		"duplicate":   {opts: Options{Targets: []Target{{URL: "http://x/?a=1"}, {URL: "http://x/?a=2"}}}, wantErr: "duplicate"},
		"secret in scheme error": {
			opts:    Options{Targets: []Target{{URL: "ftp://u:topsecretpw@x/?k=topsecretq"}}},
			wantErr: "ftp://x/",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := New(nil, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New() error = %v, want one containing %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "topsecret") || strings.Contains(err.Error(), "%zz") {
				t.Errorf("secret in error: %v", err)
			}
		})
	}
}
