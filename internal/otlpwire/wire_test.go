package otlpwire

import (
	"bytes"
	"testing"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

var (
	traceID = bytes.Repeat([]byte{0xab}, 16)
	spanID  = []byte{1, 2, 3, 4, 5, 6, 7, 8}
)

func testTraces() []*tracepb.ResourceSpans {
	return []*tracepb.ResourceSpans{
		{ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{TraceId: traceID, SpanId: spanID, Name: "a",
			Kind: tracepb.Span_SPAN_KIND_SERVER, Links: []*tracepb.Span_Link{{TraceId: traceID, SpanId: spanID}}}}}}},
		{SchemaUrl: "second"},
	}
}

func testMetrics() []*metricspb.ResourceMetrics {
	return []*metricspb.ResourceMetrics{{ScopeMetrics: []*metricspb.ScopeMetrics{{Metrics: []*metricspb.Metric{{Name: "h",
		Data: &metricspb.Metric_Histogram{Histogram: &metricspb.Histogram{DataPoints: []*metricspb.HistogramDataPoint{{Count: 1,
			Exemplars: []*metricspb.Exemplar{{TraceId: traceID, SpanId: spanID}}}}}}}}}}}}
}

// The encoders write what the collector packages read, and the decoders
// read what they write, in both encodings; ids survive OTLP/JSON's hex.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, asJSON := range []bool{false, true} {
		rs := testTraces()
		b, err := EncodeTraces(rs, asJSON)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(rs[0].ScopeSpans[0].Spans[0].TraceId, traceID) {
			t.Fatal("EncodeTraces changed its argument")
		}
		var req coltracepb.ExportTraceServiceRequest
		if asJSON {
			if !bytes.Contains(b, []byte(`"traceId":"abababababababababababababababab"`)) || !bytes.Contains(b, []byte(`"kind":2`)) {
				t.Errorf("json %s: want hex ids and numeric enums", b)
			}
			err = protojson.Unmarshal(b, &req)
		} else {
			err = proto.Unmarshal(b, &req)
		}
		if err != nil || len(req.ResourceSpans) != 2 || req.ResourceSpans[1].SchemaUrl != "second" {
			t.Fatalf("json %v: the collector package reads %v, %v", asJSON, &req, err)
		}
		got, err := DecodeTraces(b, asJSON)
		if err != nil || len(got) != 2 || !proto.Equal(got[0], testTraces()[0]) {
			t.Errorf("json %v: decoded %v, %v", asJSON, got, err)
		}

		rm := testMetrics()
		if b, err = EncodeMetrics(rm, asJSON); err != nil {
			t.Fatal(err)
		}
		var mreq colmetricpb.ExportMetricsServiceRequest
		if !asJSON {
			if err := proto.Unmarshal(b, &mreq); err != nil || !proto.Equal(mreq.ResourceMetrics[0], testMetrics()[0]) {
				t.Errorf("the collector package reads %v, %v", &mreq, err)
			}
		}
		gotM, err := DecodeMetrics(b, asJSON)
		if err != nil || len(gotM) != 1 || !proto.Equal(gotM[0], testMetrics()[0]) {
			t.Errorf("json %v: decoded %v, %v", asJSON, gotM, err)
		}
	}
}

// Unknown fields of the request are skipped; the proto names of JSON work.
func TestDecode_unknownFieldsAndNames(t *testing.T) {
	t.Parallel()
	b, _ := EncodeTraces(testTraces(), false)
	b = protowire.AppendTag(b, 7, protowire.VarintType)
	b = protowire.AppendVarint(b, 99)
	if rs, err := DecodeTraces(b, false); err != nil || len(rs) != 2 {
		t.Errorf("protobuf with an unknown field: %v, %v", rs, err)
	}
	js := []byte(`{"resource_spans":[{"scope_spans":[{"spans":[{"trace_id":"abababababababababababababababab","name":"x"}]}]}],"extra":1}`)
	if rs, err := DecodeTraces(js, true); err != nil || len(rs) != 1 || !bytes.Equal(rs[0].ScopeSpans[0].Spans[0].TraceId, traceID) {
		t.Errorf("json with proto names: %v, %v", rs, err)
	}
	for _, bad := range []string{`[]`, `{"resourceSpans":5}`, `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}`, `{"resourceSpans":[],"resource_spans":[]}`} {
		if _, err := DecodeTraces([]byte(bad), true); err == nil {
			t.Errorf("%s decoded", bad)
		}
	}
	if _, err := DecodeTraces([]byte{0x0a, 0x05, 0x01}, false); err == nil {
		t.Error("a truncated protobuf decoded")
	}
}

// Responses: what EncodeResponse writes, the collector packages and
// DecodeResponse read.
func TestResponse(t *testing.T) {
	t.Parallel()
	ps := PartialSuccess{Rejected: 3, Message: `3 "old" spans`}
	b := EncodeResponse(ps, false, RejectedSpans)
	var resp coltracepb.ExportTraceServiceResponse
	if err := proto.Unmarshal(b, &resp); err != nil || resp.PartialSuccess.RejectedSpans != 3 || resp.PartialSuccess.ErrorMessage != ps.Message {
		t.Errorf("protobuf response reads as %v, %v", &resp, err)
	}
	if got, err := DecodeResponse(b, false); err != nil || got != ps {
		t.Errorf("DecodeResponse = %v, %v", got, err)
	}
	b = EncodeResponse(ps, true, RejectedDataPoints)
	var mresp colmetricpb.ExportMetricsServiceResponse
	if err := protojson.Unmarshal(b, &mresp); err != nil || mresp.PartialSuccess.RejectedDataPoints != 3 || mresp.PartialSuccess.ErrorMessage != ps.Message {
		t.Errorf("json response %s reads as %v, %v", b, &mresp, err)
	}
	if got, err := DecodeResponse(b, true); err != nil || got != ps {
		t.Errorf("DecodeResponse = %v, %v", got, err)
	}
	if got, err := DecodeResponse([]byte(`{"partialSuccess":{"rejectedLogRecords":7}}`), true); err != nil || got.Rejected != 7 {
		t.Errorf("a number count: %v, %v", got, err)
	}
	for _, asJSON := range []bool{false, true} {
		if b := EncodeResponse(PartialSuccess{}, asJSON, RejectedSpans); asJSON && string(b) != "{}" || !asJSON && len(b) != 0 {
			t.Errorf("full success encodes as %q", b)
		}
		if got, err := DecodeResponse(nil, asJSON); err != nil || got != (PartialSuccess{}) {
			t.Errorf("an empty body: %v, %v", got, err)
		}
	}
}
