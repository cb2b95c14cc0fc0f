package otlp

import (
	"testing"
)

// FuzzDecode feeds arbitrary bodies, as protobuf and as JSON, to both
// exports: decoding and handling must never panic, and a body that decodes
// gets an answer.
func FuzzDecode(f *testing.F) {
	// More seeds are in testdata/fuzz/FuzzDecode.
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"command ping","kind":2,"startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}`), true)
	f.Add([]byte(`{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"discord.guilds","gauge":{"dataPoints":[{"asInt":"3","timeUnixNano":"1"}]}}]}]}]}`), true)
	f.Add([]byte{0x0a, 0x00}, false)
	r, err := New(Options{Recorder: &recorder{}, MaxSeries: 50})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		enc := encProtobuf
		if json {
			enc = encJSON
		}
		for _, ex := range []export{r.traces, r.metrics} {
			resp, err := ex(body, enc)
			if (resp == nil) == (err == nil) {
				t.Fatalf("response %v and error %v", resp, err)
			}
		}
	})
}
