package otlp

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/nexusmon/nexusmon/instrumentation/bot"
	"github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/internal/otlpwire"
)

const (
	guild   = "1100000000000000000"
	channel = "1100000000000000010"
)

var (
	t0      = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	traceID = []byte{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	spanID  = []byte{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
)

// recorder is a Recorder that keeps what it is given.
type recorder struct {
	mu   sync.Mutex
	invs []bot.Invocation
}

func (r *recorder) RecordInvocation(inv bot.Invocation) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.invs = append(r.invs, inv)
	return nil
}

func (r *recorder) got() []bot.Invocation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Invocation(nil), r.invs...)
}

func newReceiver(t testing.TB, opts Options) (*Receiver, *recorder) {
	t.Helper()
	rec := &recorder{}
	if opts.Recorder == nil {
		opts.Recorder = rec
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0.Add(time.Minute) }
	}
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r, rec
}

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func nanos(t time.Time) uint64 { return uint64(t.UnixNano()) }

func botResource() *resourcepb.Resource {
	return &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
		str(names.AttrServiceName, "jsbot"), str(names.AttrRuntimeName, "nodejs"), str("host.name", "ignored"),
	}}
}

// commandSpan is a command span per docs/conventions.md; errType "" is a
// success.
func commandSpan(name, errType, msg string) *tracepb.Span {
	sp := &tracepb.Span{
		TraceId: traceID, SpanId: spanID,
		Name: "command " + name, Kind: tracepb.Span_SPAN_KIND_SERVER,
		StartTimeUnixNano: nanos(t0), EndTimeUnixNano: nanos(t0.Add(120 * time.Millisecond)),
		Attributes: []*commonpb.KeyValue{
			str(names.AttrCommandName, name), str(names.AttrCommandModule, "fun"),
			str(names.AttrGuildID, guild), str(names.AttrChannelID, channel), str(names.AttrInteractionID, "1300000000000000001"),
		},
		Events: []*tracepb.Span_Event{{Name: names.EventFirstResponse, TimeUnixNano: nanos(t0.Add(80 * time.Millisecond))}},
	}
	if errType != "" {
		sp.Attributes = append(sp.Attributes, str(names.AttrErrorType, errType))
		sp.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: msg}
		sp.Events = append(sp.Events, &tracepb.Span_Event{Name: "exception", TimeUnixNano: nanos(t0.Add(100 * time.Millisecond)),
			Attributes: []*commonpb.KeyValue{str("exception.type", errType), str("exception.message", msg)}})
	}
	return sp
}

func tracesRequest(spans ...*tracepb.Span) *coltracepb.ExportTraceServiceRequest {
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource:   botResource(),
		ScopeSpans: []*tracepb.ScopeSpans{{Scope: &commonpb.InstrumentationScope{Name: "nexusmon-discordjs"}, Spans: spans}},
	}}}
}

func gauge(name, unit string, v int64, attrs ...*commonpb.KeyValue) *metricspb.Metric {
	return &metricspb.Metric{Name: name, Unit: unit, Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{
		DataPoints: []*metricspb.NumberDataPoint{{Attributes: attrs, TimeUnixNano: nanos(t0), Value: &metricspb.NumberDataPoint_AsInt{AsInt: v}}},
	}}}
}

func metricsRequest(ms ...*metricspb.Metric) *colmetricpb.ExportMetricsServiceRequest {
	return &colmetricpb.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{{
		Resource:     botResource(),
		ScopeMetrics: []*metricspb.ScopeMetrics{{Scope: &commonpb.InstrumentationScope{Name: "nexusmon-discordjs"}, Metrics: ms}},
	}}}
}

// post sends body to path of h with the given headers.
func post(t testing.TB, h http.Handler, path string, body []byte, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func protoBody(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jsonBody is m in OTLP/JSON: protojson with the ids in hex and enums as
// integers, as the OTLP spec and the JavaScript SDK write them.
func jsonBody(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := protojson.MarshalOptions{UseEnumNumbers: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, id := range [][]byte{traceID, spanID} {
		b64, _ := protojson.Marshal(&commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: id}})
		enc := strings.TrimSuffix(strings.TrimPrefix(string(b64), `{"bytesValue":"`), `"}`)
		if !strings.Contains(s, `"`+enc+`"`) {
			t.Fatalf("id %x not in %s", id, s)
		}
		s = strings.ReplaceAll(s, `"`+enc+`"`, `"`+hex.EncodeToString(id)+`"`)
	}
	return []byte(s)
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const (
	ctProto = "application/x-protobuf"
	ctJSON  = "application/json"
)

func TestReceiver_traceEncodings(t *testing.T) {
	t.Parallel()
	req := tracesRequest(commandSpan("ping", "", ""), commandSpan("boom", "TypeError", "x is not a function"),
		&tracepb.Span{Name: "GET /users", Kind: tracepb.Span_SPAN_KIND_CLIENT, TraceId: traceID, SpanId: spanID,
			StartTimeUnixNano: nanos(t0), EndTimeUnixNano: nanos(t0)})
	for _, tc := range []struct {
		name, ct string
		body     []byte
		gzip     bool
	}{
		{"protobuf", ctProto, protoBody(t, req), false},
		{"json", ctJSON, jsonBody(t, req), false},
		{"protobuf gzip", ctProto, gz(t, protoBody(t, req)), true},
		{"json gzip", ctJSON + "; charset=utf-8", gz(t, jsonBody(t, req)), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fwd := &forwarder{}
			r, rec := newReceiver(t, Options{Forwarder: fwd})
			hdr := []string{"Content-Type", tc.ct}
			if tc.gzip {
				hdr = append(hdr, "Content-Encoding", "gzip")
			}
			w := post(t, r.Handler(), "/v1/traces", tc.body, hdr...)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			var resp coltracepb.ExportTraceServiceResponse
			if strings.HasPrefix(tc.ct, ctJSON) {
				if err := protojson.Unmarshal(w.Body.Bytes(), &resp); err != nil {
					t.Fatalf("response %q: %v", w.Body, err)
				}
			} else if err := proto.Unmarshal(w.Body.Bytes(), &resp); err != nil {
				t.Fatal(err)
			}
			if resp.PartialSuccess != nil {
				t.Errorf("partial success %v, want none", resp.PartialSuccess)
			}
			want := []bot.Invocation{
				{Command: "ping", Module: "fun", GuildID: guild, ChannelID: channel, InteractionID: "1300000000000000001",
					Start: t0, End: t0.Add(120 * time.Millisecond), FirstResponse: t0.Add(80 * time.Millisecond)},
				{Command: "boom", Module: "fun", GuildID: guild, ChannelID: channel, InteractionID: "1300000000000000001",
					Start: t0, End: t0.Add(120 * time.Millisecond), FirstResponse: t0.Add(80 * time.Millisecond),
					ErrorType: "TypeError", Message: "x is not a function"},
			}
			got := rec.got()
			if len(got) != len(want) {
				t.Fatalf("recorded %d invocations, want %d: %+v", len(got), len(want), got)
			}
			for i := range want {
				if !got[i].Start.Equal(want[i].Start) || !got[i].End.Equal(want[i].End) || !got[i].FirstResponse.Equal(want[i].FirstResponse) {
					t.Errorf("invocation %d times = %v %v %v", i, got[i].Start, got[i].End, got[i].FirstResponse)
				}
				got[i].Start, got[i].End, got[i].FirstResponse = want[i].Start, want[i].End, want[i].FirstResponse
				if got[i] != want[i] {
					t.Errorf("invocation %d = %+v\nwant %+v", i, got[i], want[i])
				}
			}
			fwd.mu.Lock()
			defer fwd.mu.Unlock()
			if len(fwd.traces) != 1 || len(fwd.traces[0].ResourceSpans[0].ScopeSpans[0].Spans) != 3 {
				t.Fatalf("forwarded %v, want the request with its 3 spans", fwd.traces)
			}
			if sp := fwd.traces[0].ResourceSpans[0].ScopeSpans[0].Spans[0]; !bytes.Equal(sp.TraceId, traceID) || !bytes.Equal(sp.SpanId, spanID) {
				t.Errorf("forwarded ids %x %x, want %x %x (hex decoded)", sp.TraceId, sp.SpanId, traceID, spanID)
			}
		})
	}
}

func TestReceiver_metricEncodings(t *testing.T) {
	t.Parallel()
	req := metricsRequest(
		gauge(names.DiscordGuilds, "{guild}", 42),
		gauge(names.NodeHeapUsed, "By", 1<<20, str(names.AttrNodeHeapSpace, "old_space")),
		gauge("http.server.active_requests", "{request}", 3),
	)
	for _, tc := range []struct {
		name, ct string
		body     []byte
		gzip     bool
	}{
		{"protobuf", ctProto, protoBody(t, req), false},
		{"json", ctJSON, mustJSON(t, req), false},
		{"json gzip", ctJSON, gz(t, mustJSON(t, req)), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, _ := newReceiver(t, Options{})
			hdr := []string{"Content-Type", tc.ct}
			if tc.gzip {
				hdr = append(hdr, "Content-Encoding", "gzip")
			}
			if w := post(t, r.Handler(), "/v1/metrics", tc.body, hdr...); w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			pts := r.Points(nil)
			if len(pts) != 2 {
				t.Fatalf("kept %d points, want 2 (the unknown metric dropped): %+v", len(pts), pts)
			}
			byName := map[string]Point{}
			for _, p := range pts {
				byName[p.Name] = p
			}
			g := byName[names.DiscordGuilds]
			if g.Value != 42 || g.Unit != "{guild}" || g.Attrs[names.AttrScope] != names.ScopeBot ||
				g.Attrs[names.AttrServiceName] != "jsbot" || g.Attrs[names.AttrRuntimeName] != "nodejs" || g.Attrs["host.name"] != "" {
				t.Errorf("guilds point = %+v", g)
			}
			h := byName[names.NodeHeapUsed]
			if h.Value != 1<<20 || h.Attrs[names.AttrNodeHeapSpace] != "old_space" || h.Attrs[names.AttrScope] != names.ScopeReceiver {
				t.Errorf("heap point = %+v", h)
			}
		})
	}
}

func mustJSON(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := protojson.MarshalOptions{UseEnumNumbers: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The latest point of a series wins; a delta counter accumulates.
func TestReceiver_latestPoint(t *testing.T) {
	t.Parallel()
	r, _ := newReceiver(t, Options{})
	for _, v := range []int64{3, 5} {
		post(t, r.Handler(), "/v1/metrics", protoBody(t, metricsRequest(gauge(names.DiscordGuilds, "{guild}", v))), "Content-Type", ctProto)
		sum := &metricspb.Metric{Name: names.DiscordReconnects, Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{
			IsMonotonic: true, AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA,
			DataPoints: []*metricspb.NumberDataPoint{{TimeUnixNano: nanos(t0), Value: &metricspb.NumberDataPoint_AsInt{AsInt: v}}},
		}}}
		post(t, r.Handler(), "/v1/metrics", protoBody(t, metricsRequest(sum)), "Content-Type", ctProto)
	}
	got := map[string]float64{}
	for _, p := range r.Points(nil) {
		got[p.Name] = p.Value
	}
	if got[names.DiscordGuilds] != 5 || got[names.DiscordReconnects] != 8 || len(got) != 2 {
		t.Errorf("points = %v, want guilds 5 (latest) and reconnects 8 (delta summed)", got)
	}
}

// forwarder keeps what it is given, decoded.
type forwarder struct {
	mu      sync.Mutex
	traces  []*coltracepb.ExportTraceServiceRequest
	metrics []*colmetricpb.ExportMetricsServiceRequest
}

func (f *forwarder) ForwardTraces(body []byte, json bool) bool {
	rs, err := otlpwire.DecodeTraces(body, json)
	if err != nil {
		panic(fmt.Sprintf("forwarded traces do not decode: %v", err))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.traces = append(f.traces, &coltracepb.ExportTraceServiceRequest{ResourceSpans: rs})
	return true
}

func (f *forwarder) ForwardMetrics(body []byte, json bool) bool {
	rm, err := otlpwire.DecodeMetrics(body, json)
	if err != nil {
		panic(fmt.Sprintf("forwarded metrics do not decode: %v", err))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.metrics = append(f.metrics, &colmetricpb.ExportMetricsServiceRequest{ResourceMetrics: rm})
	return true
}

// Bad requests get the OTLP/HTTP status and change nothing: no invocation
// recorded, no point kept, nothing forwarded.
func TestReceiver_badRequests(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	good := protoBody(t, tracesRequest(commandSpan("ping", "", "")))
	bomb := gz(t, bytes.Repeat([]byte{0}, 10*limit)) // 640 KiB of zeros in under 1 KiB
	if len(bomb) > limit {
		t.Fatalf("bomb of %d bytes is not small", len(bomb))
	}
	badHex := strings.Replace(string(jsonBody(t, tracesRequest(commandSpan("ping", "", "")))), hex.EncodeToString(traceID), strings.Repeat("z", 32), 1)
	for _, tc := range []struct {
		name, method, path, ct, ce string
		body                       []byte
		want                       int
	}{
		{"malformed protobuf", http.MethodPost, "/v1/traces", ctProto, "", []byte("\x0a\xff\xff\xff\xff\x0f"), http.StatusBadRequest},
		{"malformed json", http.MethodPost, "/v1/traces", ctJSON, "", []byte(`{"resourceSpans": [`), http.StatusBadRequest},
		{"json id not hex", http.MethodPost, "/v1/traces", ctJSON, "", []byte(badHex), http.StatusBadRequest},
		{"json wrong type", http.MethodPost, "/v1/traces", ctJSON, "", []byte(`{"resourceSpans": 5}`), http.StatusBadRequest},
		{"bad gzip", http.MethodPost, "/v1/traces", ctProto, "gzip", good, http.StatusBadRequest},
		{"oversized", http.MethodPost, "/v1/traces", ctProto, "", append(good, make([]byte, limit)...), http.StatusRequestEntityTooLarge},
		{"zip bomb", http.MethodPost, "/v1/traces", ctProto, "gzip", bomb, http.StatusRequestEntityTooLarge},
		{"zip bomb metrics", http.MethodPost, "/v1/metrics", ctJSON, "gzip", bomb, http.StatusRequestEntityTooLarge},
		{"text", http.MethodPost, "/v1/traces", "text/plain", "", good, http.StatusUnsupportedMediaType},
		{"brotli", http.MethodPost, "/v1/traces", ctProto, "br", good, http.StatusUnsupportedMediaType},
		{"GET", http.MethodGet, "/v1/traces", ctProto, "", nil, http.StatusMethodNotAllowed},
		{"logs", http.MethodPost, "/v1/logs", ctProto, "", good, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fwd := &forwarder{}
			r, rec := newReceiver(t, Options{MaxRequestBytes: limit, Forwarder: fwd})
			req := httptest.NewRequest(tc.method, tc.path, bytes.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ct)
			if tc.ce != "" {
				req.Header.Set("Content-Encoding", tc.ce)
			}
			w := httptest.NewRecorder()
			r.Handler().ServeHTTP(w, req)
			if w.Code != tc.want {
				t.Fatalf("status %d (%s), want %d", w.Code, w.Body, tc.want)
			}
			if tc.want == http.StatusBadRequest || tc.want == http.StatusRequestEntityTooLarge {
				var st statuspb.Status
				var err error
				if tc.ct == ctJSON {
					err = protojson.Unmarshal(w.Body.Bytes(), &st)
				} else {
					err = proto.Unmarshal(w.Body.Bytes(), &st)
				}
				if err != nil || st.Message == "" {
					t.Errorf("body %q is not a google.rpc.Status with a message (%v)", w.Body, err)
				}
			}
			if n := len(rec.got()); n != 0 || len(r.Points(nil)) != 0 || len(fwd.traces)+len(fwd.metrics) != 0 {
				t.Errorf("state changed: %d invocations, %d points, %d forwarded", n, len(r.Points(nil)), len(fwd.traces)+len(fwd.metrics))
			}
		})
	}
}

// Past the per-minute cap, spans are dropped and partial_success says so.
func TestReceiver_spanCap(t *testing.T) {
	t.Parallel()
	r, rec := newReceiver(t, Options{MaxSpansPerMinute: 3})
	spans := make([]*tracepb.Span, 5)
	for i := range spans {
		spans[i] = commandSpan(fmt.Sprint("c", i), "", "")
	}
	w := post(t, r.Handler(), "/v1/traces", protoBody(t, tracesRequest(spans...)), "Content-Type", ctProto)
	var resp coltracepb.ExportTraceServiceResponse
	if err := proto.Unmarshal(w.Body.Bytes(), &resp); err != nil || w.Code != http.StatusOK {
		t.Fatalf("status %d, %v", w.Code, err)
	}
	if got := resp.GetPartialSuccess().GetRejectedSpans(); got != 2 || !strings.Contains(resp.GetPartialSuccess().GetErrorMessage(), "2 rate_limited") {
		t.Errorf("partial success = %v, want 2 rate_limited", resp.GetPartialSuccess())
	}
	if n := len(rec.got()); n != 3 {
		t.Errorf("recorded %d, want 3", n)
	}
}

// A real listener: Start, a POST over TCP, Shutdown.
func TestReceiver_startShutdown(t *testing.T) {
	t.Parallel()
	r, rec := newReceiver(t, Options{})
	if err := r.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+r.Addr().String()+"/v1/traces", ctProto, bytes.NewReader(protoBody(t, tracesRequest(commandSpan("ping", "", "")))))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(rec.got()) != 1 {
		t.Errorf("status %d, %d invocations; want 200 and 1", resp.StatusCode, len(rec.got()))
	}
	if err := r.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
}
