package otelcoltest

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseMetricsLine(t *testing.T) {
	t.Parallel()
	const res = `"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"bot"}},{"key":"host.cpus","value":{"intValue":"8"}}]}`
	wantRes := map[string]string{"service.name": "bot", "host.cpus": "8"}
	tests := map[string]struct {
		line string
		want []Metric
	}{
		"gauge double": {
			line: `{"resourceMetrics":[{` + res + `,"scopeMetrics":[{"scope":{"name":"s1","version":"1"},"metrics":[{"name":"g","unit":"By","gauge":{"dataPoints":[{"attributes":[{"key":"state","value":{"stringValue":"used"}}],"timeUnixNano":"1","asDouble":1.5}]}}]}]}]}`,
			want: []Metric{{Name: "g", Unit: "By", Scope: "s1", Resource: wantRes, Kind: "gauge",
				Points: []Point{{Attrs: map[string]string{"state": "used"}, Value: 1.5}}}},
		},
		"monotonic cumulative int sum": {
			line: `{"resourceMetrics":[{` + res + `,"scopeMetrics":[{"scope":{"name":"s1"},"metrics":[{"name":"c","sum":{"dataPoints":[{"asInt":"9007199254740993"}],"aggregationTemporality":2,"isMonotonic":true}}]}]}]}`,
			want: []Metric{{Name: "c", Scope: "s1", Resource: wantRes, Kind: "sum", Temporality: "cumulative", Monotonic: true,
				Points: []Point{{Attrs: map[string]string{}, Value: 9007199254740993}}}},
		},
		"delta histogram with exemplar": {
			line: `{"resourceMetrics":[{` + res + `,"scopeMetrics":[{"scope":{"name":"s2"},"metrics":[{"name":"h","unit":"s","histogram":{"dataPoints":[{"attributes":[{"key":"ok","value":{"boolValue":true}}],"count":"3","sum":0.75,"bucketCounts":["1","2"],"explicitBounds":[0.1],"exemplars":[{"timeUnixNano":"5","asDouble":0.5,"traceId":"0AF7651916CD43DD8448EB211C80319C","spanId":"b7ad6b7169203331"}]}],"aggregationTemporality":1}}]}]}]}`,
			want: []Metric{{Name: "h", Unit: "s", Scope: "s2", Resource: wantRes, Kind: "histogram", Temporality: "delta",
				Points: []Point{{Attrs: map[string]string{"ok": "true"}, Value: 0.75, Count: 3,
					Exemplars: []Exemplar{{TraceID: "0af7651916cd43dd8448eb211c80319c", SpanID: "b7ad6b7169203331", Value: 0.5}}}}}},
		},
		"exponential histogram and summary": {
			line: `{"resourceMetrics":[{"resource":{},"scopeMetrics":[{"scope":{},"metrics":[{"name":"e","exponentialHistogram":{"dataPoints":[{"count":"2","sum":3,"scale":1}],"aggregationTemporality":2}},{"name":"q","summary":{"dataPoints":[{"count":4,"sum":"NaN"}]}}]}]}]}`,
			want: []Metric{
				{Name: "e", Resource: map[string]string{}, Kind: "exponential_histogram", Temporality: "cumulative",
					Points: []Point{{Attrs: map[string]string{}, Value: 3, Count: 2}}},
				{Name: "q", Resource: map[string]string{}, Kind: "summary",
					Points: []Point{{Attrs: map[string]string{}, Count: 4}}}, // NaN checked below
			},
		},
		"attribute value types": {
			line: `{"resourceMetrics":[{"resource":{},"scopeMetrics":[{"scope":{},"metrics":[{"name":"a","gauge":{"dataPoints":[{"asInt":"-2","attributes":[{"key":"d","value":{"doubleValue":0.25}},{"key":"arr","value":{"arrayValue":{"values":[{"stringValue":"x"}]}}},{"key":"b64","value":{"bytesValue":"AQI="}},{"key":"empty","value":{}}]}]}}]}]}]}`,
			want: []Metric{{Name: "a", Resource: map[string]string{}, Kind: "gauge",
				Points: []Point{{Attrs: map[string]string{"d": "0.25", "arr": `{"values":[{"stringValue":"x"}]}`, "b64": "AQI=", "empty": ""}, Value: -2}}}},
		},
		"empty request": {line: `{}`, want: nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := parseMetricsLine([]byte(tc.line))
			if err != nil {
				t.Fatal(err)
			}
			if name == "exponential histogram and summary" {
				if v := got[1].Points[0].Value; v == v {
					t.Errorf("summary sum = %v, want NaN", v)
				}
				got[1].Points[0].Value = 0
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parseMetricsLine:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseMetricsLine_Errors(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"not json":         `{"resourceMetrics":[`,
		"no data":          `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x"}]}]}]}`,
		"bad int":          `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","gauge":{"dataPoints":[{"asInt":"1.5"}]}}]}]}]}`,
		"bad count":        `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","histogram":{"dataPoints":[{"count":"-1"}]}}]}]}]}`,
		"bad double":       `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","gauge":{"dataPoints":[{"asDouble":"lots"}]}}]}]}]}`,
		"bad attribute":    `{"resourceMetrics":[{"resource":{"attributes":[{"key":"k","value":{"intValue":"x"}}]}}]}`,
		"attribute is a 1": `{"resourceMetrics":[{"resource":{"attributes":[{"key":"k","value":1}]}}]}`,
	}
	for name, line := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got, err := parseMetricsLine([]byte(line)); err == nil {
				t.Errorf("parseMetricsLine = %+v, want an error", got)
			}
		})
	}
}

func TestParseTracesLine(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		line string
		want []Span
	}{
		"numeric enums": {
			line: `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"bot"}}]},"scopeSpans":[{"scope":{"name":"sc"},"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","parentSpanId":"EEE19B7EC3C1B173","name":"command ping","kind":2,"startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[{"key":"discord.command.name","value":{"stringValue":"ping"}}],"events":[{"name":"exception","attributes":[{"key":"exception.message","value":{"stringValue":"boom"}}]}],"status":{"code":2,"message":"boom"}}]}]}]}`,
			want: []Span{{Name: "command ping", TraceID: "5b8efff798038103d269b633813fc60c", SpanID: "eee19b7ec3c1b174",
				ParentSpanID: "eee19b7ec3c1b173", Kind: "server", Scope: "sc",
				Resource: map[string]string{"service.name": "bot"}, Attrs: map[string]string{"discord.command.name": "ping"},
				StatusCode: "Error", StatusMessage: "boom",
				Events: []Event{{Name: "exception", Attrs: map[string]string{"exception.message": "boom"}}}}},
		},
		"enum names and defaults": {
			line: `{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a","kind":"SPAN_KIND_CLIENT","status":{"code":"STATUS_CODE_OK"}},{"name":"b","status":{}}]}]}]}`,
			want: []Span{
				{Name: "a", Kind: "client", StatusCode: "Ok", Resource: map[string]string{}, Attrs: map[string]string{}},
				{Name: "b", Kind: "unspecified", StatusCode: "Unset", Resource: map[string]string{}, Attrs: map[string]string{}},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := parseTracesLine([]byte(tc.line))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parseTracesLine:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
	for name, line := range map[string]string{
		"unknown kind":   `{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a","kind":9}]}]}]}`,
		"unknown status": `{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a","status":{"code":"STATUS_CODE_MAYBE"}}]}]}]}`,
		"truncated":      `{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a"`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got, err := parseTracesLine([]byte(line)); err == nil {
				t.Errorf("parseTracesLine = %+v, want an error", got)
			}
		})
	}
}

func TestReadAll(t *testing.T) {
	t.Parallel()
	const (
		line1 = `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"one","gauge":{"dataPoints":[{"asInt":"1"}]}}]}]}]}`
		line2 = `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"two","gauge":{"dataPoints":[{"asInt":"2"}]}}]}]}]}`
	)
	tests := map[string]struct {
		files   []string // content of run-1, run-2, ...; "-" for no file
		want    []string // metric names
		wantErr string
	}{
		"two runs in order":            {files: []string{line1 + "\n", line2 + "\n"}, want: []string{"one", "two"}},
		"partial last line is skipped": {files: []string{line1 + "\n" + line2[:40]}, want: []string{"one"}},
		"only a partial line":          {files: []string{line2[:40]}, want: nil},
		"blank lines":                  {files: []string{"\n" + line1 + "\n\n"}, want: []string{"one"}},
		"run without a file":           {files: []string{"-", line2 + "\n"}, want: []string{"two"}},
		"malformed complete line":      {files: []string{line1 + "\n{oops}\n"}, wantErr: "line 2"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			var dirs []string
			for i, content := range tc.files {
				dir := filepath.Join(root, "run-"+string(rune('1'+i)))
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				dirs = append(dirs, dir)
				if content == "-" {
					continue
				}
				if err := os.WriteFile(filepath.Join(dir, metricsFile), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := readAll(dirs, metricsFile, parseMetricsLine)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("readAll error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var gotNames []string
			for _, m := range got {
				gotNames = append(gotNames, m.Name)
			}
			if !reflect.DeepEqual(gotNames, tc.want) {
				t.Errorf("readAll names = %q, want %q", gotNames, tc.want)
			}
		})
	}
}
