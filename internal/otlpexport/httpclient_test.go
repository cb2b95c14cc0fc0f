package otlpexport

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/internal/otlpwire"
)

// reply is one scripted answer of a collector.
type reply struct {
	code       int
	retryAfter string
	ct         string // Content-Type; "" is application/x-protobuf
	body       []byte
}

// got is one request the collector saw, its body gunzipped.
type got struct {
	header http.Header
	body   []byte
}

// fakeCollector answers with script, one reply per request (the last one
// repeats), and keeps what it got.
type fakeCollector struct {
	*httptest.Server
	mu     sync.Mutex
	script []reply
	reqs   []got
}

func newFakeCollector(t *testing.T, script ...reply) *fakeCollector {
	t.Helper()
	f := &fakeCollector{script: script}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var src io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			src = zr
		}
		b, err := io.ReadAll(src)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, got{r.Header.Clone(), b})
		rep := f.script[min(len(f.reqs), len(f.script))-1]
		f.mu.Unlock()
		if rep.retryAfter != "" {
			w.Header().Set("Retry-After", rep.retryAfter)
		}
		w.Header().Set("Content-Type", cmp(rep.ct, "application/x-protobuf"))
		w.WriteHeader(rep.code)
		_, _ = w.Write(rep.body)
	}))
	t.Cleanup(f.Close)
	return f
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (f *fakeCollector) requests() []got {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]got(nil), f.reqs...)
}

// spanExporter is the span exporter For and NewSpanExporter make of env
// (the endpoint is the fake collector's), with its waits recorded instead
// of slept.
func spanExporter(t *testing.T, f *fakeCollector, env map[string]string) (*httpSpanExporter, *[]time.Duration) {
	t.Helper()
	e := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": f.URL}
	for k, v := range env {
		e[k] = v
	}
	s, err := For("traces", config.Default().OTLP, envMap(e))
	if err != nil {
		t.Fatal(err)
	}
	exp, err := NewSpanExporter(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
	he := exp.(*httpSpanExporter)
	var mu sync.Mutex
	waits := &[]time.Duration{}
	he.c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		*waits = append(*waits, d)
		return ctx.Err()
	}
	return he, waits
}

// testSpans is one finished span with an event, an error status and a link.
func testSpans() []sdktrace.ReadOnlySpan {
	tid := trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}, TraceFlags: trace.FlagsSampled})
	linked := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{9}, SpanID: trace.SpanID{9}, Remote: true})
	t0 := time.Unix(1_700_000_000, 0)
	return tracetest.SpanStubs{{
		Name: "command ping", SpanContext: sc, SpanKind: trace.SpanKindServer, StartTime: t0, EndTime: t0.Add(time.Second),
		Events: []sdktrace.Event{{Name: "exception", Time: t0.Add(time.Millisecond)}},
		Links:  []sdktrace.Link{{SpanContext: linked}},
		Status: sdktrace.Status{Code: codes.Error, Description: "boom"},
	}}.Snapshots()
}

// 429 with Retry-After: the exporter waits what the collector asked, then
// sends the same request again.
func TestHTTPExport_retryAfter(t *testing.T) {
	t.Parallel()
	f := newFakeCollector(t, reply{code: http.StatusTooManyRequests, retryAfter: "3"}, reply{code: http.StatusOK})
	exp, waits := spanExporter(t, f, nil)
	if err := exp.ExportSpans(t.Context(), testSpans()); err != nil {
		t.Fatalf("export: %v", err)
	}
	reqs := f.requests()
	if len(reqs) != 2 || !bytes.Equal(reqs[0].body, reqs[1].body) {
		t.Fatalf("%d requests, want the same one twice", len(reqs))
	}
	if len(*waits) != 1 || (*waits)[0] != 3*time.Second {
		t.Errorf("waits %v, want the 3 s of Retry-After", *waits)
	}
}

// 503 and 502 are retried with a growing backoff; a connection that fails
// would be too.
func TestHTTPExport_retryBackoff(t *testing.T) {
	t.Parallel()
	f := newFakeCollector(t, reply{code: http.StatusServiceUnavailable}, reply{code: http.StatusBadGateway},
		reply{code: http.StatusGatewayTimeout}, reply{code: http.StatusOK})
	exp, waits := spanExporter(t, f, nil)
	if err := exp.ExportSpans(t.Context(), testSpans()); err != nil {
		t.Fatalf("export: %v", err)
	}
	if n := len(f.requests()); n != 4 {
		t.Fatalf("%d requests, want 4", n)
	}
	w := *waits
	if len(w) != 3 || w[0] < retryInitial/2 || w[0] > retryInitial || w[1] < retryInitial || w[1] > 2*retryInitial ||
		w[2] < 2*retryInitial || w[2] > 4*retryInitial {
		t.Errorf("waits %v, want about %v, %v, %v (jittered)", w, retryInitial, 2*retryInitial, 4*retryInitial)
	}
}

// A Retry-After past the export timeout is not waited for.
func TestHTTPExport_retryAfterPastTimeout(t *testing.T) {
	t.Parallel()
	f := newFakeCollector(t, reply{code: http.StatusTooManyRequests, retryAfter: "60"})
	exp, waits := spanExporter(t, f, map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "2000"})
	err := exp.ExportSpans(t.Context(), testSpans())
	if err == nil || !strings.Contains(err.Error(), "429") {
		t.Fatalf("export: %v, want the 429", err)
	}
	if len(f.requests()) != 1 || len(*waits) != 0 {
		t.Errorf("%d requests, waits %v; want 1 and none", len(f.requests()), *waits)
	}
}

// Connection errors are retried until the timeout; the error does not show
// the URL's user information or query.
func TestHTTPExport_connectionRefusedRetried(t *testing.T) {
	t.Parallel()
	f := newFakeCollector(t, reply{code: http.StatusOK})
	secretURL := strings.Replace(f.URL, "http://", "http://user:URL-SECRET@", 1) + "/v1/traces?token=URL-SECRET"
	exp, waits := spanExporter(t, f, map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "3000", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": secretURL})
	f.Close() // nothing listens any more
	err := exp.ExportSpans(t.Context(), testSpans())
	if err == nil {
		t.Fatal("export to a closed port succeeded")
	}
	if strings.Contains(err.Error(), "URL-SECRET") || !strings.Contains(err.Error(), "refused") {
		t.Errorf("error %q, want the refusal without the URL's secrets", err)
	}
	if len(*waits) < 2 {
		t.Errorf("waits %v, want retries", *waits)
	}
}

// Any other 4xx is permanent: one request, an error with the status and the
// collector's message, never the headers.
func TestHTTPExport_permanentError(t *testing.T) {
	t.Parallel()
	status := []byte("\x08\x03\x12\x0bbad payload") // google.rpc.Status{code: 3, message: "bad payload"}
	f := newFakeCollector(t, reply{code: http.StatusBadRequest, body: status})
	exp, waits := spanExporter(t, f, map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer%20HEADER-SECRET"})
	err := exp.ExportSpans(t.Context(), testSpans())
	if err == nil || !strings.Contains(err.Error(), "400 Bad Request") || !strings.Contains(err.Error(), "bad payload") {
		t.Fatalf("export: %v, want the 400 and its message", err)
	}
	if strings.Contains(err.Error(), "HEADER-SECRET") {
		t.Errorf("error %q shows a header", err)
	}
	if len(f.requests()) != 1 || len(*waits) != 0 {
		t.Errorf("%d requests, waits %v; want 1 and none", len(f.requests()), *waits)
	}
}

// Headers, compression and the signal's endpoint come from the variables.
func TestHTTPExport_headersAndGzipFromEnvironment(t *testing.T) {
	t.Parallel()
	f := newFakeCollector(t, reply{code: http.StatusOK})
	exp, _ := spanExporter(t, f, map[string]string{
		"OTEL_EXPORTER_OTLP_HEADERS":        "api-key=general,x-team=a%2Cb%20c",
		"OTEL_EXPORTER_OTLP_TRACES_HEADERS": "api-key=tr%3Dces, x-team = a%2Cb%20c ",
		"OTEL_EXPORTER_OTLP_COMPRESSION":    "gzip",
	})
	if err := exp.ExportSpans(t.Context(), testSpans()); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	h := reqs[0].header
	if h.Get("api-key") != "tr=ces" || h.Get("x-team") != "a,b c" || h.Get("Content-Encoding") != "gzip" ||
		h.Get("Content-Type") != "application/x-protobuf" {
		t.Errorf("headers %v, want the traces headers decoded, gzip, protobuf", h)
	}
	rs, err := otlpwire.DecodeTraces(reqs[0].body, false)
	if err != nil || len(rs) != 1 || rs[0].ScopeSpans[0].Spans[0].Name != "command ping" {
		t.Errorf("body decodes to %v, %v", rs, err)
	}
}

// A partial_success in the answer, in either encoding, is an error naming
// the rejected count and the message, and counts in nexusmon.export.errors.
func TestHTTPExport_partialSuccess(t *testing.T) {
	t.Parallel()
	ps := otlpwire.PartialSuccess{Rejected: 2, Message: "2 spans too old"}
	for _, tc := range []struct {
		name string
		rep  reply
	}{
		{"protobuf", reply{code: http.StatusOK, body: otlpwire.EncodeResponse(ps, false, otlpwire.RejectedSpans)}},
		{"json", reply{code: http.StatusOK, ct: "application/json", body: otlpwire.EncodeResponse(ps, true, otlpwire.RejectedSpans)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeCollector(t, tc.rep)
			exp, _ := spanExporter(t, f, nil)
			c := NewCounter("otlp_traces", slog.New(slog.DiscardHandler))
			err := c.SpanExporter(exp).ExportSpans(t.Context(), testSpans())
			if err == nil || !strings.Contains(err.Error(), "rejected 2") || !strings.Contains(err.Error(), "2 spans too old") {
				t.Fatalf("export: %v, want the partial success", err)
			}
			if n := c.errors.Load(); n != 1 {
				t.Errorf("counted %d errors, want 1", n)
			}
		})
	}
}

// http/json sends OTLP/JSON: enums as numbers, ids in hex.
func TestHTTPExport_json(t *testing.T) {
	t.Parallel()
	f := newFakeCollector(t, reply{code: http.StatusOK, ct: "application/json", body: []byte("{}")})
	exp, _ := spanExporter(t, f, map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"})
	if err := exp.ExportSpans(t.Context(), testSpans()); err != nil {
		t.Fatal(err)
	}
	r := f.requests()[0]
	body := string(r.body)
	if r.header.Get("Content-Type") != "application/json" || !strings.Contains(body, `"traceId":"0102030405060708090a0b0c0d0e0f10"`) ||
		!strings.Contains(body, `"spanId":"0102030405060708"`) || !strings.Contains(body, `"kind":2`) {
		t.Errorf("request %s %s, want OTLP/JSON with hex ids and numeric enums", r.header.Get("Content-Type"), body)
	}
	rs, err := otlpwire.DecodeTraces(r.body, true)
	if err != nil || rs[0].ScopeSpans[0].Spans[0].Links[0].TraceId[0] != 9 {
		t.Errorf("body decodes to %v, %v", rs, err)
	}
}
