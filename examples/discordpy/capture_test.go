package discordpy_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// capture is a loopback OTLP/HTTP JSON receiver. It decodes every request
// strictly (protojson, unknown fields rejected) after turning the hex trace
// and span ids into the base64 protojson expects, as the OTLP/JSON spec
// says; a request that does not decode is answered 400 and recorded in errs.
type capture struct {
	URL string

	mu      sync.Mutex
	spans   []*tracepb.Span
	metrics []*metricpb.ResourceMetrics
	traces  []*tracepb.ResourceSpans
	errs    []string
}

func newCapture(t *testing.T) *capture {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	c := &capture{}
	hs := &httptest.Server{Listener: ln, Config: &http.Server{Handler: c}}
	hs.Start()
	t.Cleanup(hs.Close)
	c.URL = hs.URL
	return c
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err == nil && r.Header.Get("Content-Type") != "application/json" {
		err = fmt.Errorf("content type %q", r.Header.Get("Content-Type"))
	}
	if err == nil {
		switch r.URL.Path {
		case "/v1/traces":
			err = c.addTraces(body)
		case "/v1/metrics":
			err = c.addMetrics(body)
		default:
			err = fmt.Errorf("unknown path %s", r.URL.Path)
		}
	}
	if err != nil {
		c.mu.Lock()
		c.errs = append(c.errs, fmt.Sprintf("%s %s: %v", r.Method, r.URL.Path, err))
		c.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte("{}")) // the client may be gone; nothing to do then
}

func (c *capture) addTraces(body []byte) error {
	fixed, err := hexIDsToBase64(body)
	if err != nil {
		return err
	}
	var req coltracepb.ExportTraceServiceRequest
	if err := protojson.Unmarshal(fixed, &req); err != nil {
		return fmt.Errorf("decode traces: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		c.traces = append(c.traces, rs)
		for _, ss := range rs.ScopeSpans {
			c.spans = append(c.spans, ss.Spans...)
		}
	}
	return nil
}

func (c *capture) addMetrics(body []byte) error {
	var req colmetricpb.ExportMetricsServiceRequest
	if err := protojson.Unmarshal(body, &req); err != nil {
		return fmt.Errorf("decode metrics: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.metrics = append(c.metrics, req.ResourceMetrics...)
	return nil
}

// hexIDsToBase64 rewrites traceId, spanId and parentSpanId of every span
// (and span link) from OTLP/JSON's hex to protojson's base64, checking their
// length.
func hexIDsToBase64(body []byte) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("decode json: %w", err)
	}
	fix := func(m map[string]any, key string, n int) error {
		v, ok := m[key]
		if !ok {
			return nil
		}
		s, _ := v.(string)
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != n {
			return fmt.Errorf("%s %q is not %d bytes of hex", key, s, n)
		}
		m[key] = base64.StdEncoding.EncodeToString(b)
		return nil
	}
	for _, rs := range list(doc["resourceSpans"]) {
		for _, ss := range list(rs["scopeSpans"]) {
			for _, sp := range list(ss["spans"]) {
				for _, m := range append([]map[string]any{sp}, list(sp["links"])...) {
					for _, f := range []struct {
						key string
						n   int
					}{{"traceId", 16}, {"spanId", 8}, {"parentSpanId", 8}} {
						if err := fix(m, f.key, f.n); err != nil {
							return nil, err
						}
					}
				}
			}
		}
	}
	return json.Marshal(doc)
}

func list(v any) []map[string]any {
	l, _ := v.([]any)
	out := make([]map[string]any, 0, len(l))
	for _, x := range l {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// waitSpan waits for the span of an interaction.
func (c *capture) waitSpan(t *testing.T, interactionID string, timeout time.Duration) *tracepb.Span {
	t.Helper()
	var got *tracepb.Span
	c.waitFor(t, timeout, "span of interaction "+interactionID, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, s := range c.spans {
			if attrs(s.Attributes)["discord.interaction.id"] == interactionID {
				got = s
				return true
			}
		}
		return false
	})
	return got
}

// lastPoints returns the data points of the newest export of a metric.
func (c *capture) lastPoints(name string) []*metricpb.NumberDataPoint {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.metrics) - 1; i >= 0; i-- {
		for _, sm := range c.metrics[i].ScopeMetrics {
			for _, m := range sm.Metrics {
				if m.Name != name {
					continue
				}
				if g := m.GetGauge(); g != nil {
					return g.DataPoints
				}
				if s := m.GetSum(); s != nil {
					return s.DataPoints
				}
			}
		}
	}
	return nil
}

// waitFor polls cond until it holds or timeout passes, then fails the test
// with what was captured. It fails at once when a request was rejected.
func (c *capture) waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok := cond()
		c.mu.Lock()
		errs := append([]string(nil), c.errs...)
		n, m := len(c.spans), len(c.metrics)
		c.mu.Unlock()
		if len(errs) > 0 {
			t.Fatalf("the capture server rejected requests: %v", errs)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v (%d spans, %d metric exports captured)", what, timeout, n, m)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// attrs flattens attributes to strings (ints in decimal).
func attrs(kvs []*commonpb.KeyValue) map[string]string {
	out := map[string]string{}
	for _, kv := range kvs {
		switch v := kv.Value.GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			out[kv.Key] = v.StringValue
		case *commonpb.AnyValue_IntValue:
			out[kv.Key] = fmt.Sprint(v.IntValue)
		default:
			out[kv.Key] = fmt.Sprint(kv.Value)
		}
	}
	return out
}

func pointValue(p *metricpb.NumberDataPoint) float64 {
	switch v := p.Value.(type) {
	case *metricpb.NumberDataPoint_AsInt:
		return float64(v.AsInt)
	case *metricpb.NumberDataPoint_AsDouble:
		return v.AsDouble
	}
	return 0
}
