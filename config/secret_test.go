package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

func TestSecret_formats(t *testing.T) {
	t.Parallel()
	const value = "s3cr3t-value"
	s := Secret(value)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%10s", "%d"} {
		if got := fmt.Sprintf(verb, s); strings.Contains(got, value) || !strings.Contains(got, "<redacted>") {
			t.Errorf("Sprintf(%s) = %q", verb, got)
		}
	}
	if got := fmt.Sprint(Secret("")); got != "" {
		t.Errorf("empty secret prints %q, want empty", got)
	}
	if got := Secret("").GoString(); got != "" {
		t.Errorf("empty GoString = %q", got)
	}
	if s.Reveal() != value {
		t.Errorf("Reveal() = %q", s.Reveal())
	}
	if s.String() != "<redacted>" || s.GoString() != "<redacted>" {
		t.Errorf("String/GoString = %q/%q", s.String(), s.GoString())
	}
	b, err := json.Marshal(s)
	var back string
	if err != nil || json.Unmarshal(b, &back) != nil || back != "<redacted>" {
		t.Errorf("MarshalJSON = %s, %v", b, err)
	}
	y, err := yaml.Marshal(s)
	if err != nil || strings.TrimSpace(string(y)) != "<redacted>" {
		t.Errorf("MarshalYAML = %s, %v", y, err)
	}
}

// secretConfig returns a config whose every secret holds a marker.
func secretConfig() *Config {
	c := Default()
	c.Discord.Token = "TOKEN-MARKER-1"
	c.Discord.ChannelID = "123456789012345678"
	c.Discord.WebhookURL = "https://discord.com/api/webhooks/1/WEBHOOK-MARKER-2"
	c.OTLP.Headers = Headers{"Authorization": "Bearer HEADER-MARKER-3"}
	return c
}

var markers = []string{"TOKEN-MARKER-1", "WEBHOOK-MARKER-2", "HEADER-MARKER-3"}

func assertNoMarkers(t *testing.T, what, text string) {
	t.Helper()
	for _, m := range markers {
		if strings.Contains(text, m) {
			t.Errorf("%s leaks %s:\n%s", what, m, text)
		}
	}
}

func TestConfig_secretsNeverPrinted(t *testing.T) {
	t.Parallel()
	c := secretConfig()
	assertNoMarkers(t, "Redacted()", c.Redacted())
	if !strings.Contains(c.Redacted(), "Authorization: <redacted>") {
		t.Errorf("Redacted() hides header names too:\n%s", c.Redacted())
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		assertNoMarkers(t, verb, fmt.Sprintf(verb, c))
		assertNoMarkers(t, verb+" of value", fmt.Sprintf(verb, *c))
		assertNoMarkers(t, verb+" of headers", fmt.Sprintf(verb, c.OTLP.Headers))
	}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	assertNoMarkers(t, "json", string(js))
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("cfg", "config", c, "headers", c.OTLP.Headers, "token", c.Discord.Token)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("cfg", "config", c, "headers", c.OTLP.Headers, "token", c.Discord.Token)
	assertNoMarkers(t, "slog", buf.String())
	if !strings.Contains(buf.String(), "<redacted>") {
		t.Errorf("slog output has no redaction marker:\n%s", buf.String())
	}
	// Headers still work as a plain map for exporters.
	var plain map[string]string = c.OTLP.Headers
	if plain["Authorization"] != "Bearer HEADER-MARKER-3" {
		t.Error("Headers lost its value")
	}
}

func TestParse_secretsNeverInErrors(t *testing.T) {
	t.Parallel()
	in := strings.Join([]string{
		"discord:",
		"  token: \"TOKEN-MARKER-1 with space\"",
		"  channel_id: bad",
		"  webhook_url: http://example.com/api/webhooks/1/WEBHOOK-MARKER-2",
		"otlp:",
		"  headers:",
		"    \"Bad Name\": HEADER-MARKER-3",
		"    X-Ok: \"HEADER-MARKER-3\\n\"",
		"    X-Map: {HEADER-MARKER-3: x}",
		"",
	}, "\n")
	_, err := Parse([]byte(in), "s.yaml", WithEnv(noEnv))
	if err == nil {
		t.Fatal("Parse accepted bad config")
	}
	assertNoMarkers(t, "error", err.Error())
	assertNoMarkers(t, "error %+v", fmt.Sprintf("%+v", err))

	// Type errors on secret fields do not echo the value either.
	_, err = Parse([]byte("discord:\n  webhook_url: {WEBHOOK-MARKER-2: 1}\n  token: [TOKEN-MARKER-1]\n"), "s.yaml", WithEnv(noEnv))
	if len(Problems(err)) != 2 {
		t.Fatalf("want 2 problems, got %v", err)
	}
	assertNoMarkers(t, "type error", err.Error())

	// An invalid webhook from the environment is not echoed.
	_, err = Parse(nil, "s.yaml", WithEnv(envOf(map[string]string{EnvWebhookURL: "http://x/WEBHOOK-MARKER-2"})))
	if err == nil {
		t.Fatal("Parse accepted a bad env webhook")
	}
	assertNoMarkers(t, "env error", err.Error())
}
