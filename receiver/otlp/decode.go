package otlp

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Encodings of a request body, from its Content-Type.
type encoding int

const (
	encProtobuf encoding = iota + 1 // application/x-protobuf
	encJSON                         // application/json
)

var (
	unmarshalProto = proto.UnmarshalOptions{DiscardUnknown: true}
	// OTLP/JSON receivers must ignore unknown fields; enum values come as
	// integers, which protojson accepts as it does names.
	unmarshalJSON = protojson.UnmarshalOptions{DiscardUnknown: true}
)

// DecodeTraces decodes an OTLP/HTTP trace export body (already
// decompressed). In JSON, trace and span ids are hex strings (OTLP/JSON),
// not protojson's base64: they are converted.
func decodeTraces(body []byte, enc encoding) (*coltracepb.ExportTraceServiceRequest, error) {
	req := &coltracepb.ExportTraceServiceRequest{}
	if err := unmarshal(body, enc, req); err != nil {
		return nil, err
	}
	if enc == encJSON {
		if err := hexTraceIDs(req); err != nil {
			return nil, err
		}
	}
	return req, nil
}

// decodeMetrics decodes an OTLP/HTTP metric export body (already
// decompressed), converting the hex ids of exemplars in JSON.
func decodeMetrics(body []byte, enc encoding) (*colmetricpb.ExportMetricsServiceRequest, error) {
	req := &colmetricpb.ExportMetricsServiceRequest{}
	if err := unmarshal(body, enc, req); err != nil {
		return nil, err
	}
	if enc == encJSON {
		if err := hexMetricIDs(req); err != nil {
			return nil, err
		}
	}
	return req, nil
}

func unmarshal(body []byte, enc encoding, m proto.Message) error {
	var err error
	switch enc {
	case encProtobuf:
		err = unmarshalProto.Unmarshal(body, m)
	case encJSON:
		err = unmarshalJSON.Unmarshal(body, m)
	default:
		return errors.New("unsupported encoding")
	}
	if err != nil {
		return fmt.Errorf("decode %s: %w", encName(enc), err)
	}
	return nil
}

func encName(enc encoding) string {
	if enc == encJSON {
		return "json"
	}
	return "protobuf"
}

// errBadID is a trace or span id of the wrong length or not in hex.
var errBadID = errors.New("trace and span ids must be 32 and 16 hex digits")

// fromHex turns an id that protojson decoded as base64 back into the bytes
// its hex digits spell. Hex digits are base64 characters, so protojson
// decodes a 32-digit trace id into 24 bytes (a 16-digit span id into 12)
// without complaint; re-encoding gives the digits back exactly. size is
// the id's length in bytes (16 or 8); an empty id stays empty.
func fromHex(id []byte, size int) ([]byte, error) {
	if len(id) == 0 {
		return id, nil
	}
	if len(id) != size*3/2 {
		return nil, errBadID
	}
	digits := base64.StdEncoding.EncodeToString(id)
	out := make([]byte, size)
	if _, err := hex.Decode(out, []byte(digits)); err != nil {
		return nil, errBadID
	}
	return out, nil
}

func hexTraceIDs(req *coltracepb.ExportTraceServiceRequest) error {
	var err error
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				if sp == nil {
					continue
				}
				if sp.TraceId, err = fromHex(sp.TraceId, 16); err != nil {
					return err
				}
				if sp.SpanId, err = fromHex(sp.SpanId, 8); err != nil {
					return err
				}
				if sp.ParentSpanId, err = fromHex(sp.ParentSpanId, 8); err != nil {
					return err
				}
				for _, l := range sp.GetLinks() {
					if l == nil {
						continue
					}
					if l.TraceId, err = fromHex(l.TraceId, 16); err != nil {
						return err
					}
					if l.SpanId, err = fromHex(l.SpanId, 8); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

func hexMetricIDs(req *colmetricpb.ExportMetricsServiceRequest) error {
	for _, rm := range req.GetResourceMetrics() {
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				for _, ex := range exemplarsOf(m) {
					if ex == nil {
						continue
					}
					var err error
					if ex.TraceId, err = fromHex(ex.TraceId, 16); err != nil {
						return err
					}
					if ex.SpanId, err = fromHex(ex.SpanId, 8); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}
