package config

import (
	"encoding"
	"strings"
	"testing"
)

func TestIsListenAddr(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"127.0.0.1:9464": true, ":9464": true, "[::1]:0": true, "localhost:65535": true,
		"metrics.internal.example:80": true,
		"localhost":                   false, "127.0.0.1:65536": false, "127.0.0.1:http": false,
		"bad_host:80": false, "-bad.example:80": false, "a..b:80": false, "::1:80": false,
		"host:": false, "host:-1": false,
	}
	for in, want := range tests {
		if got := isListenAddr(in); got != want {
			t.Errorf("isListenAddr(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestIsWebhookURL(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"https://discord.com/api/webhooks/123456789012345678/t":           true,
		"https://proxy.example/api/webhooks/123456789012345678/t?wait=1":  true,
		"http://localhost:8080/api/webhooks/123456789012345678/t":         true,
		"http://LOCALHOST/api/webhooks/123456789012345678/t":              true,
		"http://127.1.2.3/api/webhooks/123456789012345678/t":              true,
		"http://[::1]/api/webhooks/123456789012345678/t":                  true,
		"http://discord.com/api/webhooks/123456789012345678/t":            false,
		"http://localhost.evil.example/api/webhooks/123456789012345678/t": false,
		"https://discord.com/api/webhooks/":                               false,
		"https://discord.com/api/webhooks/1/t":                            false, // the sender needs a snowflake id
		"https://discord.com/api/webhooks/123456789012345678":             false,
		"https://discord.com/api/webhooks/123456789012345678/t/github":    false,
		"https://discord.com/api/v10/webhooks/123456789012345678/t":       true, // Discord accepts versioned webhook URLs
		"https://discord.com/api/vx/webhooks/123456789012345678/t":        false,
		"https:///api/webhooks/123456789012345678/t":                      false,
		"discord.com/api/webhooks/123456789012345678/t":                   false,
		"https://disc ord.com/api/webhooks/123456789012345678/t":          false,
	}
	for in, want := range tests {
		if got := IsWebhookURL(in); got != want {
			t.Errorf("IsWebhookURL(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestIsHeaderName(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{"Authorization": true, "x-scope_orgid.1": true, "": false, "a b": false, "a:b": false, "é": false}
	for in, want := range tests {
		if got := isHeaderName(in); got != want {
			t.Errorf("isHeaderName(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestSecret_MarshalText(t *testing.T) {
	t.Parallel()
	var m encoding.TextMarshaler = Secret("value-x")
	b, err := m.MarshalText()
	if err != nil || string(b) != "<redacted>" {
		t.Errorf("MarshalText = %q, %v", b, err)
	}
	if got := (Headers{"A": "value-x"}).GoString(); strings.Contains(got, "value-x") {
		t.Errorf("Headers.GoString leaks: %s", got)
	}
}

func TestQuoteShort(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 50)
	if got := quoteShort(long); !strings.HasSuffix(got, `…"`) || strings.Count(got, "é") != 40 {
		t.Errorf("quoteShort(long) = %s", got)
	}
	if got := quoteShort("ab"); got != `"ab"` {
		t.Errorf("quoteShort(ab) = %s", got)
	}
}

func TestParse_logLevel(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte("log:\n  level: warn\n"), "l.yaml", WithEnv(noEnv), withCheckFile(func(string, pathUse) string { return "" }))
	if err != nil || cfg.Log.Level != "warn" {
		t.Fatalf("level warn: %v, %v", cfg, err)
	}
	_, err = Parse([]byte("log:\n  level: loud\n"), "l.yaml", WithEnv(noEnv), withCheckFile(func(string, pathUse) string { return "" }))
	if err == nil || !strings.Contains(err.Error(), `l.yaml:2: log.level: must be one of debug, info, warn, error, got "loud"`) {
		t.Fatalf("level loud: err = %v", err)
	}
}

func TestParse_storageFlushInterval(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value string
		want  string // "" for valid
	}{
		{"0s", ""},
		{"1s", ""},
		{"5s", ""},
		{"1m", ""},
		{"999ms", "f.yaml:3: storage.flush_interval: must be 0s (commit every report) or from 1s to 1m, got 999ms"},
		{"61s", "f.yaml:3: storage.flush_interval: must be 0s (commit every report) or from 1s to 1m, got 1m1s"},
		{"-1s", "f.yaml:3: storage.flush_interval: must be 0s (commit every report) or from 1s to 1m, got -1s"},
		{"5", "f.yaml:3: storage.flush_interval: must be a duration with a unit"},
		{"soon", `f.yaml:3: storage.flush_interval: must be`},
	}
	for _, tt := range tests {
		yaml := "storage:\n  path: n.db\n  flush_interval: " + tt.value + "\n"
		cfg, err := Parse([]byte(yaml), "f.yaml", WithEnv(noEnv), withCheckFile(func(string, pathUse) string { return "" }))
		if tt.want == "" {
			if err != nil {
				t.Errorf("flush_interval %s: %v", tt.value, err)
			} else if got := cfg.Storage.FlushInterval.String(); got != map[string]string{"0s": "0s", "1s": "1s", "5s": "5s", "1m": "1m0s"}[tt.value] {
				t.Errorf("flush_interval %s = %s", tt.value, got)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("flush_interval %s: err = %v, want %q", tt.value, err, tt.want)
		}
	}
	if d := Default().Storage.FlushInterval; d.String() != "5s" {
		t.Errorf("default storage.flush_interval = %s, want 5s", d)
	}
}
