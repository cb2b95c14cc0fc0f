package discordjs_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	collmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	colltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// capture is a loopback OTLP/HTTP endpoint that keeps what it receives:
// POST /v1/traces and /v1/metrics, protobuf or JSON, optionally gzipped,
// decoded with the OTLP protobuf module.
type capture struct {
	URL string

	mu           sync.Mutex
	contentTypes map[string]bool
	spans        []*tracepb.ResourceSpans
	metrics      []*metricpb.ResourceMetrics
	errs         []error
}

func newCapture(t *testing.T) *capture {
	t.Helper()
	c := &capture{contentTypes: map[string]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: c}}
	srv.Start()
	t.Cleanup(srv.Close)
	c.URL = srv.URL
	return c
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := c.handle(r); err != nil {
		c.mu.Lock()
		c.errs = append(c.errs, err)
		c.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// An empty protobuf or JSON export response: full success.
	ct := r.Header.Get("Content-Type")
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	if mt, _, _ := mime.ParseMediaType(ct); mt == "application/json" {
		_, _ = w.Write([]byte("{}"))
	}
}

func (c *capture) handle(r *http.Request) error {
	if r.Method != http.MethodPost {
		return fmt.Errorf("%s %s: want POST", r.Method, r.URL.Path)
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return fmt.Errorf("gunzip %s: %w", r.URL.Path, err)
		}
		body = zr
	}
	raw, err := io.ReadAll(io.LimitReader(body, 16<<20))
	if err != nil {
		return fmt.Errorf("read %s: %w", r.URL.Path, err)
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return fmt.Errorf("content type of %s: %w", r.URL.Path, err)
	}
	unmarshal := func(m proto.Message) error {
		switch mt {
		case "application/x-protobuf":
			return proto.Unmarshal(raw, m)
		case "application/json":
			fixed, err := otlpJSONIDs(raw)
			if err != nil {
				return err
			}
			return protojson.Unmarshal(fixed, m)
		}
		return fmt.Errorf("content type %q", mt)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.contentTypes[mt] = true
	switch r.URL.Path {
	case "/v1/traces":
		var req colltracepb.ExportTraceServiceRequest
		if err := unmarshal(&req); err != nil {
			return fmt.Errorf("decode traces: %w", err)
		}
		c.spans = append(c.spans, req.ResourceSpans...)
	case "/v1/metrics":
		var req collmetricpb.ExportMetricsServiceRequest
		if err := unmarshal(&req); err != nil {
			return fmt.Errorf("decode metrics: %w", err)
		}
		c.metrics = append(c.metrics, req.ResourceMetrics...)
	default:
		return fmt.Errorf("unknown path %s", r.URL.Path)
	}
	return nil
}

// otlpJSONIDs turns the hex trace and span ids of OTLP/JSON into the base64
// that protojson expects for bytes fields (the OTLP JSON encoding differs
// from the canonical protobuf JSON mapping only there).
func otlpJSONIDs(raw []byte) ([]byte, error) {
	var doc any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode json: %w", err)
	}
	var walk func(v any) error
	walk = func(v any) error {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				switch k {
				case "traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id":
					s, ok := val.(string)
					if !ok {
						return fmt.Errorf("%s is %T, want a hex string", k, val)
					}
					b, err := hex.DecodeString(s)
					if err != nil {
						return fmt.Errorf("%s %q: %w", k, s, err)
					}
					x[k] = base64.StdEncoding.EncodeToString(b)
				default:
					if err := walk(val); err != nil {
						return err
					}
				}
			}
		case []any:
			for _, e := range x {
				if err := walk(e); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(doc); err != nil {
		return nil, err
	}
	return json.Marshal(doc)
}

// snapshot returns copies of what was received so far.
func (c *capture) snapshot() (spans []*tracepb.ResourceSpans, metrics []*metricpb.ResourceMetrics, contentTypes map[string]bool, errs []error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cts := map[string]bool{}
	for k, v := range c.contentTypes {
		cts[k] = v
	}
	return append([]*tracepb.ResourceSpans(nil), c.spans...),
		append([]*metricpb.ResourceMetrics(nil), c.metrics...), cts, append([]error(nil), c.errs...)
}
