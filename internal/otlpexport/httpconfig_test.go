package otlpexport

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/config"
)

// TestResolveHTTP: the OTLP exporter variables, as the specification reads
// them, after the config's keys (which For keeps only when their variables
// are unset).
func TestResolveHTTP(t *testing.T) {
	t.Parallel()
	badPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(badPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		signal      string
		cfgEndpoint string
		cfgInsecure bool
		cfgHeaders  map[string]string
		cfgTimeout  time.Duration
		env         map[string]string
		wantURL     string
		wantHeaders map[string]string
		wantTimeout time.Duration
		wantGzip    bool
		wantErr     string
	}{
		{name: "default endpoint", signal: "metrics", env: map[string]string{"OTEL_METRICS_EXPORTER": "otlp"},
			wantURL: "https://localhost:4318/v1/metrics", wantTimeout: 10 * time.Second},
		{name: "general endpoint gets the path", signal: "traces", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/"},
			wantURL: "http://c:4318/v1/traces", wantTimeout: 10 * time.Second},
		{name: "general endpoint with a path", signal: "metrics", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/otlp"},
			wantURL: "http://c:4318/otlp/v1/metrics", wantTimeout: 10 * time.Second},
		{name: "signal endpoint as is", signal: "metrics", env: map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT": "http://general:4318", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://m:9/custom"},
			wantURL: "http://m:9/custom", wantTimeout: 10 * time.Second},
		{name: "other signal's endpoint ignored", signal: "traces", env: map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT": "http://general:4318", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://m:9/custom"},
			wantURL: "http://general:4318/v1/traces", wantTimeout: 10 * time.Second},
		{name: "config endpoint", signal: "metrics", cfgEndpoint: "https://c:4318", wantURL: "https://c:4318/v1/metrics", wantTimeout: 10 * time.Second},
		{name: "config endpoint insecure", signal: "traces", cfgEndpoint: "https://c:4318", cfgInsecure: true,
			wantURL: "http://c:4318/v1/traces", wantTimeout: 10 * time.Second},
		{name: "variable wins over config endpoint", signal: "metrics", cfgEndpoint: "http://cfg:4318",
			env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://env:4318"}, wantURL: "http://env:4318/v1/metrics", wantTimeout: 10 * time.Second},
		{name: "insecure variable", signal: "traces", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c:4318", "OTEL_EXPORTER_OTLP_INSECURE": "TRUE"},
			wantURL: "http://c:4318/v1/traces", wantTimeout: 10 * time.Second},
		{name: "signal insecure false wins", signal: "traces", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c:4318",
			"OTEL_EXPORTER_OTLP_INSECURE": "true", "OTEL_EXPORTER_OTLP_TRACES_INSECURE": "false"},
			wantURL: "https://c:4318/v1/traces", wantTimeout: 10 * time.Second},
		{name: "bad insecure", signal: "metrics", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c:4318", "OTEL_EXPORTER_OTLP_INSECURE": "yes"},
			wantErr: `OTEL_EXPORTER_OTLP_INSECURE: want true or false, got "yes"`},
		{name: "not http", signal: "metrics", env: map[string]string{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "ftp://c/x"},
			wantErr: "metrics endpoint ftp://c/x is not an http(s) URL"},

		{name: "headers", signal: "traces", cfgEndpoint: "http://c",
			env:         map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "a=1,b=x%20y, c = z ,bad"},
			wantURL:     "http://c/v1/traces",
			wantHeaders: map[string]string{"a": "1", "b": "x y", "c": "z"}, wantTimeout: 10 * time.Second},
		{name: "signal headers win", signal: "metrics", cfgEndpoint: "http://c",
			env:         map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "a=1", "OTEL_EXPORTER_OTLP_METRICS_HEADERS": "b=2"},
			wantURL:     "http://c/v1/metrics",
			wantHeaders: map[string]string{"b": "2"}, wantTimeout: 10 * time.Second},
		{name: "config headers", signal: "metrics", cfgEndpoint: "http://c", cfgHeaders: map[string]string{"k": "v"},
			wantURL: "http://c/v1/metrics", wantHeaders: map[string]string{"k": "v"}, wantTimeout: 10 * time.Second},

		{name: "timeout", signal: "traces", cfgEndpoint: "http://c", env: map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "2500"},
			wantURL: "http://c/v1/traces", wantTimeout: 2500 * time.Millisecond},
		{name: "signal timeout wins", signal: "traces", cfgEndpoint: "http://c",
			env:     map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "2500", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "700"},
			wantURL: "http://c/v1/traces", wantTimeout: 700 * time.Millisecond},
		{name: "config timeout", signal: "traces", cfgEndpoint: "http://c", cfgTimeout: 3 * time.Second,
			wantURL: "http://c/v1/traces", wantTimeout: 3 * time.Second},
		{name: "bad timeout", signal: "metrics", cfgEndpoint: "http://c", env: map[string]string{"OTEL_EXPORTER_OTLP_METRICS_TIMEOUT": "10s"},
			wantErr: `OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: want a positive number of milliseconds, got "10s"`},

		{name: "gzip", signal: "metrics", cfgEndpoint: "http://c", env: map[string]string{"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"},
			wantURL: "http://c/v1/metrics", wantTimeout: 10 * time.Second, wantGzip: true},
		{name: "signal compression none wins", signal: "metrics", cfgEndpoint: "http://c",
			env:     map[string]string{"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip", "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION": "none"},
			wantURL: "http://c/v1/metrics", wantTimeout: 10 * time.Second},
		{name: "bad compression", signal: "traces", cfgEndpoint: "http://c", env: map[string]string{"OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"},
			wantErr: `OTEL_EXPORTER_OTLP_COMPRESSION: want gzip or none, got "zstd"`},

		{name: "missing certificate", signal: "traces", cfgEndpoint: "https://c",
			env: map[string]string{"OTEL_EXPORTER_OTLP_CERTIFICATE": "/nonexistent/ca.pem"}, wantErr: "OTEL_EXPORTER_OTLP_CERTIFICATE: open /nonexistent/ca.pem"},
		{name: "not a certificate", signal: "traces", cfgEndpoint: "https://c",
			env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE": badPEM}, wantErr: "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: no PEM certificate"},
		{name: "client certificate without key", signal: "metrics", cfgEndpoint: "https://c",
			env:     map[string]string{"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": badPEM},
			wantErr: "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY must be set together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := config.Default().OTLP
			cfg.Endpoint, cfg.Insecure, cfg.Headers, cfg.Timeout = tt.cfgEndpoint, tt.cfgInsecure, tt.cfgHeaders, tt.cfgTimeout
			env := envMap(tt.env)
			s, err := For(tt.signal, cfg, env)
			if err != nil {
				t.Fatal(err)
			}
			c, err := resolveHTTP(tt.signal, s, env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.url != tt.wantURL || !reflect.DeepEqual(c.headers, tt.wantHeaders) || c.timeout != tt.wantTimeout || c.gzip != tt.wantGzip {
				t.Errorf("got %s %v %v gzip %v, want %s %v %v gzip %v", c.url, c.headers, c.timeout, c.gzip,
					tt.wantURL, tt.wantHeaders, tt.wantTimeout, tt.wantGzip)
			}
		})
	}
}
