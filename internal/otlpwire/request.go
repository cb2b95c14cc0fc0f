package otlpwire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

var (
	unmarshalProto = proto.UnmarshalOptions{DiscardUnknown: true}
	// OTLP/JSON receivers must ignore unknown fields; enum values come as
	// integers, which protojson accepts as it does names.
	unmarshalJSON = protojson.UnmarshalOptions{DiscardUnknown: true}
	// OTLP/JSON senders must write enums as integers.
	marshalJSON = protojson.MarshalOptions{UseEnumNumbers: true}
)

// JSON names of the requests' one field (protojson accepts either).
const (
	spansJSON   = "resourceSpans"
	spansProto  = "resource_spans"
	metricsJSON = "resourceMetrics"
	metricsProt = "resource_metrics"
)

// DecodeTraces decodes the body of an ExportTraceServiceRequest (already
// decompressed); asJSON means OTLP/JSON, else binary protobuf. Unknown fields are
// ignored. In JSON, trace and span ids are hex strings and are converted.
func DecodeTraces(body []byte, asJSON bool) ([]*tracepb.ResourceSpans, error) {
	if !asJSON {
		out, err := decodeProto(body, func() *tracepb.ResourceSpans { return new(tracepb.ResourceSpans) })
		if err != nil {
			return nil, fmt.Errorf("decode protobuf: %w", err)
		}
		return out, nil
	}
	out, err := decodeJSON(body, spansJSON, spansProto, func() *tracepb.ResourceSpans { return new(tracepb.ResourceSpans) })
	if err != nil {
		return nil, fmt.Errorf("decode json: %w", err)
	}
	if err := hexTraceIDs(out); err != nil {
		return nil, err
	}
	return out, nil
}

// DecodeMetrics decodes the body of an ExportMetricsServiceRequest (already
// decompressed), converting the hex ids of exemplars in JSON.
func DecodeMetrics(body []byte, asJSON bool) ([]*metricspb.ResourceMetrics, error) {
	if !asJSON {
		out, err := decodeProto(body, func() *metricspb.ResourceMetrics { return new(metricspb.ResourceMetrics) })
		if err != nil {
			return nil, fmt.Errorf("decode protobuf: %w", err)
		}
		return out, nil
	}
	out, err := decodeJSON(body, metricsJSON, metricsProt, func() *metricspb.ResourceMetrics { return new(metricspb.ResourceMetrics) })
	if err != nil {
		return nil, fmt.Errorf("decode json: %w", err)
	}
	if err := hexMetricIDs(out); err != nil {
		return nil, err
	}
	return out, nil
}

// decodeProto reads field 1 (length-delimited) of a request, one message per
// occurrence; other fields are skipped, as unknown fields are.
func decodeProto[M proto.Message](b []byte, newM func() M) ([]M, error) {
	var out []M
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			b = b[n:]
			m := newM()
			if err := unmarshalProto.Unmarshal(v, m); err != nil {
				return nil, err
			}
			out = append(out, m)
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
	}
	return out, nil
}

// decodeJSON reads the request object's list (under its JSON or proto
// name), each element through protojson.
func decodeJSON[M proto.Message](b []byte, name, protoName string, newM func() M) ([]M, error) {
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, errors.New("request is not a JSON object")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, err
	}
	raw, ok := top[name]
	if alt, altOK := top[protoName]; altOK {
		if ok {
			return nil, fmt.Errorf("both %s and %s set", name, protoName)
		}
		raw = alt
	}
	var items []json.RawMessage
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	out := make([]M, 0, len(items))
	for _, it := range items {
		m := newM()
		if !bytes.Equal(bytes.TrimSpace(it), []byte("null")) {
			if err := unmarshalJSON.Unmarshal(it, m); err != nil {
				return nil, err
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// EncodeTraces encodes an ExportTraceServiceRequest of rs: binary protobuf,
// or OTLP/JSON (enums as numbers, ids in hex) when asJSON.
func EncodeTraces(rs []*tracepb.ResourceSpans, asJSON bool) ([]byte, error) {
	if !asJSON {
		return encodeProto(rs)
	}
	defer swapTraceIDs(rs, toJSONID)()
	return encodeJSON(spansJSON, rs)
}

// EncodeMetrics encodes an ExportMetricsServiceRequest of rm, as
// EncodeTraces does.
func EncodeMetrics(rm []*metricspb.ResourceMetrics, asJSON bool) ([]byte, error) {
	if !asJSON {
		return encodeProto(rm)
	}
	defer swapMetricIDs(rm, toJSONID)()
	return encodeJSON(metricsJSON, rm)
}

func encodeProto[M proto.Message](ms []M) ([]byte, error) {
	var b []byte
	for _, m := range ms {
		v, err := proto.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("encode protobuf: %w", err)
		}
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, v)
	}
	return b, nil
}

func encodeJSON[M proto.Message](name string, ms []M) ([]byte, error) {
	b := append(make([]byte, 0, 256), `{"`+name+`":[`...)
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		v, err := marshalJSON.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("encode json: %w", err)
		}
		b = append(b, v...)
	}
	return append(b, "]}"...), nil
}
