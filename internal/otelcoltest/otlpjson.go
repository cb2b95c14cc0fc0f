package otelcoltest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Metric is one metric as one OTLP request carried it: the same metric name
// appears once per export that contained it.
type Metric struct {
	Name, Unit, Scope string
	// Resource holds the resource attributes, values rendered as strings.
	Resource map[string]string
	// Kind is "gauge", "sum", "histogram", "exponential_histogram" or
	// "summary".
	Kind string
	// Temporality is "cumulative" or "delta" for sums and histograms, "" for
	// gauges and summaries.
	Temporality string
	// Monotonic is true for monotonic sums (counters).
	Monotonic bool
	Points    []Point
}

// Point is one data point. For gauges and sums Value is the value; for
// histograms and summaries Value is the sum and Count the number of
// measurements.
type Point struct {
	Attrs     map[string]string
	Value     float64
	Count     uint64
	Exemplars []Exemplar
}

// Exemplar is a sample measurement linked to the span it was recorded in.
// TraceID and SpanID are lowercase hex, "" when the measurement had no span.
type Exemplar struct {
	TraceID, SpanID string
	Value           float64
}

// Span is one finished span. Kind is the name trace.SpanKind.String gives
// ("internal", "server", "client", "producer", "consumer", "unspecified");
// StatusCode is the name codes.Code.String gives ("Unset", "Error", "Ok").
// TraceID, SpanID and ParentSpanID are lowercase hex.
type Span struct {
	Name, TraceID, SpanID, Kind string
	Resource, Attrs             map[string]string
	StatusCode                  string
	StatusMessage               string
	ParentSpanID                string
	Scope                       string
	Events                      []Event
}

// Event is a span event, such as the "exception" event of span.RecordError.
type Event struct {
	Name  string
	Attrs map[string]string
}

// Metrics parses every line of metrics.jsonl of every run so far, in the order
// received. A line still being written (no newline yet) is left for the next
// call; a malformed line fails t.
func (c *Collector) Metrics(t testing.TB) []Metric {
	t.Helper()
	ms, err := readAll(c.runDirs(), metricsFile, parseMetricsLine)
	if err != nil {
		t.Fatalf("otelcoltest: %v", err)
	}
	return ms
}

// Spans parses every line of traces.jsonl of every run so far, in the order
// received, like Metrics.
func (c *Collector) Spans(t testing.TB) []Span {
	t.Helper()
	ss, err := readAll(c.runDirs(), tracesFile, parseTracesLine)
	if err != nil {
		t.Fatalf("otelcoltest: %v", err)
	}
	return ss
}

// WaitForMetric waits up to timeout for a metric called name and returns the
// most recently received one. It fails t on timeout, naming the metrics that
// did arrive.
func (c *Collector) WaitForMetric(t testing.TB, name string, timeout time.Duration) Metric {
	t.Helper()
	return waitFor(t, "metric", name, timeout, c.Metrics, func(m Metric) string { return m.Name })
}

// WaitForSpan waits up to timeout for a span called name and returns the most
// recently received one. It fails t on timeout, naming the spans that did
// arrive.
func (c *Collector) WaitForSpan(t testing.TB, name string, timeout time.Duration) Span {
	t.Helper()
	return waitFor(t, "span", name, timeout, c.Spans, func(s Span) string { return s.Name })
}

// waitFor polls received until it holds an item called name and returns the
// last such one. On timeout it fails t, naming the kind of item and the
// items that did arrive.
func waitFor[T any](t testing.TB, kind, name string, timeout time.Duration, received func(testing.TB) []T, nameOf func(T) string) T {
	t.Helper()
	var got []T
	deadline := time.Now().Add(timeout)
	for {
		got = received(t)
		for i := len(got) - 1; i >= 0; i-- {
			if nameOf(got[i]) == name {
				return got[i]
			}
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(pollInterval)
	}
	arrived := make([]string, 0, len(got))
	for _, v := range got {
		arrived = append(arrived, nameOf(v))
	}
	t.Fatalf("otelcoltest: no %s %q within %s; received: %s", kind, name, timeout, distinct(arrived))
	var zero T
	return zero
}

// distinct returns the sorted distinct names, comma-separated, or "nothing".
func distinct(list []string) string {
	seen := map[string]bool{}
	var out []string
	for _, n := range list {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return "nothing"
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// readAll parses file in each of dirs, line by line, with parse. Missing files
// (a run that received nothing yet) are empty.
func readAll[T any](dirs []string, file string, parse func([]byte) ([]T, error)) ([]T, error) {
	var out []T
	for _, dir := range dirs {
		path := filepath.Join(dir, file)
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		got, err := parseLines(b, parse)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", path, err)
		}
		out = append(out, got...)
	}
	return out, nil
}

// parseLines parses each complete (newline-terminated) non-empty line of b.
// The file exporter flushes a buffer, not lines, so a trailing partial line is
// one still being written and is skipped.
func parseLines[T any](b []byte, parse func([]byte) ([]T, error)) ([]T, error) {
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[:i+1]
	} else {
		b = nil
	}
	var out []T
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), math.MaxInt32)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		got, err := parse(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, got...)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	return out, nil
}

// The OTLP JSON encoding (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding):
// lowerCamelCase field names, 64-bit integers as decimal strings, trace and
// span ids as hex, enums as integers. Only the fields Metric and Span expose
// are declared.

type jsonMetricsRequest struct {
	ResourceMetrics []struct {
		Resource     jsonResource `json:"resource"`
		ScopeMetrics []struct {
			Scope   jsonScope    `json:"scope"`
			Metrics []jsonMetric `json:"metrics"`
		} `json:"scopeMetrics"`
	} `json:"resourceMetrics"`
}

type jsonTracesRequest struct {
	ResourceSpans []struct {
		Resource   jsonResource `json:"resource"`
		ScopeSpans []struct {
			Scope jsonScope  `json:"scope"`
			Spans []jsonSpan `json:"spans"`
		} `json:"scopeSpans"`
	} `json:"resourceSpans"`
}

type jsonResource struct {
	Attributes []jsonKeyValue `json:"attributes"`
}

type jsonScope struct {
	Name string `json:"name"`
}

type jsonKeyValue struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

type jsonMetric struct {
	Name                 string             `json:"name"`
	Unit                 string             `json:"unit"`
	Gauge                *jsonNumberData    `json:"gauge"`
	Sum                  *jsonNumberData    `json:"sum"`
	Histogram            *jsonHistogramData `json:"histogram"`
	ExponentialHistogram *jsonHistogramData `json:"exponentialHistogram"`
	Summary              *jsonHistogramData `json:"summary"`
}

type jsonNumberData struct {
	DataPoints             []jsonPoint `json:"dataPoints"`
	AggregationTemporality int         `json:"aggregationTemporality"`
	IsMonotonic            bool        `json:"isMonotonic"`
}

type jsonHistogramData struct {
	DataPoints             []jsonPoint `json:"dataPoints"`
	AggregationTemporality int         `json:"aggregationTemporality"`
}

// jsonPoint covers number, histogram, exponential histogram and summary
// points: each uses a subset of the fields.
type jsonPoint struct {
	Attributes []jsonKeyValue `json:"attributes"`
	AsDouble   *jsonFloat     `json:"asDouble"`
	AsInt      *jsonInt       `json:"asInt"`
	Sum        *jsonFloat     `json:"sum"`
	Count      jsonUint       `json:"count"`
	Exemplars  []struct {
		TraceID  string     `json:"traceId"`
		SpanID   string     `json:"spanId"`
		AsDouble *jsonFloat `json:"asDouble"`
		AsInt    *jsonInt   `json:"asInt"`
	} `json:"exemplars"`
}

type jsonSpan struct {
	TraceID      string          `json:"traceId"`
	SpanID       string          `json:"spanId"`
	ParentSpanID string          `json:"parentSpanId"`
	Name         string          `json:"name"`
	Kind         json.RawMessage `json:"kind"`
	Attributes   []jsonKeyValue  `json:"attributes"`
	Events       []struct {
		Name       string         `json:"name"`
		Attributes []jsonKeyValue `json:"attributes"`
	} `json:"events"`
	Status struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	} `json:"status"`
}

// jsonFloat is an OTLP double: a JSON number, or one of the strings "NaN",
// "Infinity", "-Infinity" (or a number in a string).
type jsonFloat float64

// UnmarshalJSON implements json.Unmarshaler.
func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseFloat(unquoted(b), 64)
	if err != nil {
		return fmt.Errorf("parse double %s: %w", b, err)
	}
	*f = jsonFloat(v)
	return nil
}

// unquoted returns b as a string, without its quotes if it is a JSON
// string: OTLP JSON writes 64-bit integers, special doubles and enums
// either bare or quoted.
func unquoted(b []byte) string {
	s := string(b)
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	return s
}

// jsonInt is an OTLP int64: a decimal string, or a JSON number.
type jsonInt int64

// UnmarshalJSON implements json.Unmarshaler.
func (i *jsonInt) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseInt(unquoted(b), 10, 64)
	if err != nil {
		return fmt.Errorf("parse int64 %s: %w", b, err)
	}
	*i = jsonInt(v)
	return nil
}

// jsonUint is an OTLP uint64 or fixed64: a decimal string, or a JSON number.
type jsonUint uint64

// UnmarshalJSON implements json.Unmarshaler.
func (u *jsonUint) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseUint(unquoted(b), 10, 64)
	if err != nil {
		return fmt.Errorf("parse uint64 %s: %w", b, err)
	}
	*u = jsonUint(v)
	return nil
}

// jsonAnyValue is an OTLP AnyValue; exactly one field is set.
type jsonAnyValue struct {
	StringValue *string         `json:"stringValue"`
	BoolValue   *bool           `json:"boolValue"`
	IntValue    *jsonInt        `json:"intValue"`
	DoubleValue *jsonFloat      `json:"doubleValue"`
	BytesValue  *string         `json:"bytesValue"`
	ArrayValue  json.RawMessage `json:"arrayValue"`
	KvlistValue json.RawMessage `json:"kvlistValue"`
}

// parseMetricsLine parses one ExportMetricsServiceRequest.
func parseMetricsLine(line []byte) ([]Metric, error) {
	var req jsonMetricsRequest
	if err := json.Unmarshal(line, &req); err != nil {
		return nil, fmt.Errorf("decode metrics request: %w", err)
	}
	var out []Metric
	for _, rm := range req.ResourceMetrics {
		res, err := attrMap(rm.Resource.Attributes)
		if err != nil {
			return nil, fmt.Errorf("resource: %w", err)
		}
		for _, sm := range rm.ScopeMetrics {
			for _, jm := range sm.Metrics {
				m, err := convertMetric(jm)
				if err != nil {
					return nil, fmt.Errorf("metric %s: %w", jm.Name, err)
				}
				m.Scope, m.Resource = sm.Scope.Name, res
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// convertMetric converts the data of one metric; Scope and Resource are the
// caller's.
func convertMetric(jm jsonMetric) (Metric, error) {
	m := Metric{Name: jm.Name, Unit: jm.Unit}
	var pts []jsonPoint
	switch {
	case jm.Gauge != nil:
		m.Kind, pts = "gauge", jm.Gauge.DataPoints
	case jm.Sum != nil:
		m.Kind, pts = "sum", jm.Sum.DataPoints
		m.Temporality, m.Monotonic = temporality(jm.Sum.AggregationTemporality), jm.Sum.IsMonotonic
	case jm.Histogram != nil:
		m.Kind, pts = "histogram", jm.Histogram.DataPoints
		m.Temporality = temporality(jm.Histogram.AggregationTemporality)
	case jm.ExponentialHistogram != nil:
		m.Kind, pts = "exponential_histogram", jm.ExponentialHistogram.DataPoints
		m.Temporality = temporality(jm.ExponentialHistogram.AggregationTemporality)
	case jm.Summary != nil:
		m.Kind, pts = "summary", jm.Summary.DataPoints
	default:
		return m, errors.New("no data (gauge, sum, histogram, exponentialHistogram or summary)")
	}
	m.Points = make([]Point, 0, len(pts))
	for i, jp := range pts {
		attrs, err := attrMap(jp.Attributes)
		if err != nil {
			return m, fmt.Errorf("point %d: %w", i, err)
		}
		p := Point{Attrs: attrs, Count: uint64(jp.Count)}
		switch {
		case jp.AsDouble != nil:
			p.Value = float64(*jp.AsDouble)
		case jp.AsInt != nil:
			p.Value = float64(*jp.AsInt)
		case jp.Sum != nil:
			p.Value = float64(*jp.Sum)
		}
		for _, je := range jp.Exemplars {
			e := Exemplar{TraceID: strings.ToLower(je.TraceID), SpanID: strings.ToLower(je.SpanID)}
			switch {
			case je.AsDouble != nil:
				e.Value = float64(*je.AsDouble)
			case je.AsInt != nil:
				e.Value = float64(*je.AsInt)
			}
			p.Exemplars = append(p.Exemplars, e)
		}
		m.Points = append(m.Points, p)
	}
	return m, nil
}

// temporality names an AggregationTemporality enum value.
func temporality(v int) string {
	switch v {
	case 1:
		return "delta"
	case 2:
		return "cumulative"
	}
	return ""
}

// parseTracesLine parses one ExportTraceServiceRequest.
func parseTracesLine(line []byte) ([]Span, error) {
	var req jsonTracesRequest
	if err := json.Unmarshal(line, &req); err != nil {
		return nil, fmt.Errorf("decode traces request: %w", err)
	}
	var out []Span
	for _, rs := range req.ResourceSpans {
		res, err := attrMap(rs.Resource.Attributes)
		if err != nil {
			return nil, fmt.Errorf("resource: %w", err)
		}
		for _, ss := range rs.ScopeSpans {
			for _, js := range ss.Spans {
				s, err := convertSpan(js)
				if err != nil {
					return nil, fmt.Errorf("span %s: %w", js.Name, err)
				}
				s.Scope, s.Resource = ss.Scope.Name, res
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// spanKinds maps OTLP SpanKind to trace.SpanKind.String names, by number and
// by proto enum name.
var spanKinds = map[string]string{
	"0": "unspecified", "SPAN_KIND_UNSPECIFIED": "unspecified",
	"1": "internal", "SPAN_KIND_INTERNAL": "internal",
	"2": "server", "SPAN_KIND_SERVER": "server",
	"3": "client", "SPAN_KIND_CLIENT": "client",
	"4": "producer", "SPAN_KIND_PRODUCER": "producer",
	"5": "consumer", "SPAN_KIND_CONSUMER": "consumer",
}

// statusCodes maps OTLP StatusCode to codes.Code.String names.
var statusCodes = map[string]string{
	"0": "Unset", "STATUS_CODE_UNSET": "Unset",
	"1": "Ok", "STATUS_CODE_OK": "Ok",
	"2": "Error", "STATUS_CODE_ERROR": "Error",
}

// convertSpan converts one span; Scope and Resource are the caller's.
func convertSpan(js jsonSpan) (Span, error) {
	s := Span{
		Name:          js.Name,
		TraceID:       strings.ToLower(js.TraceID),
		SpanID:        strings.ToLower(js.SpanID),
		ParentSpanID:  strings.ToLower(js.ParentSpanID),
		StatusMessage: js.Status.Message,
	}
	var err error
	if s.Kind, err = enumName(js.Kind, spanKinds, "unspecified"); err != nil {
		return s, fmt.Errorf("kind: %w", err)
	}
	if s.StatusCode, err = enumName(js.Status.Code, statusCodes, "Unset"); err != nil {
		return s, fmt.Errorf("status code: %w", err)
	}
	if s.Attrs, err = attrMap(js.Attributes); err != nil {
		return s, err
	}
	for _, je := range js.Events {
		attrs, err := attrMap(je.Attributes)
		if err != nil {
			return s, fmt.Errorf("event %s: %w", je.Name, err)
		}
		s.Events = append(s.Events, Event{Name: je.Name, Attrs: attrs})
	}
	return s, nil
}

// enumName maps an enum field (a number or a quoted name; absent means 0) to
// its name in byValue.
func enumName(raw json.RawMessage, byValue map[string]string, zero string) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return zero, nil
	}
	name, ok := byValue[unquoted(raw)]
	if !ok {
		return "", fmt.Errorf("unknown value %s", raw)
	}
	return name, nil
}

// attrMap converts OTLP attributes to strings: ints in decimal, doubles in
// the shortest form that round-trips, bools as true/false, bytes as the
// base64 text, and arrays and maps as their OTLP JSON.
func attrMap(kvs []jsonKeyValue) (map[string]string, error) {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		v, err := anyString(kv.Value)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", kv.Key, err)
		}
		m[kv.Key] = v
	}
	return m, nil
}

// anyString renders one AnyValue as a string.
func anyString(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var v jsonAnyValue
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("decode value: %w", err)
	}
	switch {
	case v.StringValue != nil:
		return *v.StringValue, nil
	case v.BoolValue != nil:
		return strconv.FormatBool(*v.BoolValue), nil
	case v.IntValue != nil:
		return strconv.FormatInt(int64(*v.IntValue), 10), nil
	case v.DoubleValue != nil:
		return strconv.FormatFloat(float64(*v.DoubleValue), 'g', -1, 64), nil
	case v.BytesValue != nil:
		return *v.BytesValue, nil
	case v.ArrayValue != nil:
		return string(v.ArrayValue), nil
	case v.KvlistValue != nil:
		return string(v.KvlistValue), nil
	}
	return "", nil
}
