package otlpwire

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// PartialSuccess is an export response's partial_success: Rejected items
// (spans, data points) and the server's message. Both zero: full success.
type PartialSuccess struct {
	Rejected int64
	Message  string
}

// Signals' names of the rejected count in OTLP/JSON responses.
const (
	RejectedSpans      = "rejectedSpans"
	RejectedDataPoints = "rejectedDataPoints"
)

// EncodeResponse encodes an Export*ServiceResponse carrying p (nothing set
// for a zero p). rejectedName is the JSON name of the count (RejectedSpans,
// RejectedDataPoints); in protobuf every signal's count is field 1.
func EncodeResponse(p PartialSuccess, asJSON bool, rejectedName string) []byte {
	if !asJSON {
		if p == (PartialSuccess{}) {
			return []byte{}
		}
		var in []byte
		if p.Rejected != 0 {
			in = protowire.AppendTag(in, 1, protowire.VarintType)
			in = protowire.AppendVarint(in, uint64(p.Rejected))
		}
		if p.Message != "" {
			in = protowire.AppendTag(in, 2, protowire.BytesType)
			in = protowire.AppendString(in, p.Message)
		}
		b := protowire.AppendTag(nil, 1, protowire.BytesType)
		return protowire.AppendBytes(b, in)
	}
	if p == (PartialSuccess{}) {
		return []byte("{}")
	}
	var fields []string
	if p.Rejected != 0 {
		// protojson writes int64 as a decimal string.
		fields = append(fields, fmt.Sprintf(`"%s":"%d"`, rejectedName, p.Rejected))
	}
	if p.Message != "" {
		msg, _ := json.Marshal(p.Message) // a string always encodes
		fields = append(fields, `"errorMessage":`+string(msg))
	}
	return []byte(`{"partialSuccess":{` + strings.Join(fields, ",") + `}}`)
}

// DecodeResponse reads the partial_success of an Export*ServiceResponse
// body of any signal. An empty body is full success.
func DecodeResponse(body []byte, asJSON bool) (PartialSuccess, error) {
	if asJSON {
		return decodeJSONResponse(body)
	}
	var p PartialSuccess
	in, err := field1(body)
	if err != nil || in == nil {
		return p, err
	}
	for b := in; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return p, fmt.Errorf("decode response: %w", protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return p, fmt.Errorf("decode response: %w", protowire.ParseError(n))
			}
			p.Rejected, b = int64(v), b[n:]
		case num == 2 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return p, fmt.Errorf("decode response: %w", protowire.ParseError(n))
			}
			p.Message, b = string(v), b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return p, fmt.Errorf("decode response: %w", protowire.ParseError(n))
			}
			b = b[n:]
		}
	}
	return p, nil
}

// field1 returns the last length-delimited field 1 of b, nil when none.
func field1(b []byte) ([]byte, error) {
	var out []byte
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf("decode response: %w", protowire.ParseError(n))
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, fmt.Errorf("decode response: %w", protowire.ParseError(n))
			}
			out, b = v, b[n:]
			if out == nil {
				out = []byte{}
			}
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return nil, fmt.Errorf("decode response: %w", protowire.ParseError(n))
		}
		b = b[n:]
	}
	return out, nil
}

func decodeJSONResponse(body []byte) (PartialSuccess, error) {
	var p PartialSuccess
	if len(strings.TrimSpace(string(body))) == 0 {
		return p, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return p, fmt.Errorf("decode response: %w", err)
	}
	raw, ok := top["partialSuccess"]
	if !ok {
		raw = top["partial_success"]
	}
	if len(raw) == 0 || string(raw) == "null" {
		return p, nil
	}
	var ps map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ps); err != nil {
		return p, fmt.Errorf("decode response: %w", err)
	}
	for k, v := range ps {
		switch {
		case k == "errorMessage" || k == "error_message":
			if err := json.Unmarshal(v, &p.Message); err != nil {
				return p, fmt.Errorf("decode response: %s: %w", k, err)
			}
		case strings.HasPrefix(k, "rejected"):
			// int64 comes as a number or a decimal string.
			s := strings.Trim(string(v), `"`)
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return p, fmt.Errorf("decode response: %s: %w", k, err)
			}
			p.Rejected = n
		}
	}
	return p, nil
}
