package discordtest

import (
	"encoding/json"
	"strings"
	"testing"
)

// BenchmarkServer_PostMessage measures one validated JSON message create
// through the fake, client included.
func BenchmarkServer_PostMessage(b *testing.B) {
	s := New(b, WithLimit("POST /channels/{id}/messages", RouteLimit{}))
	payload := map[string]any{
		"content":          "report",
		"embeds":           []any{map[string]any{"title": "CPU", "description": strings.Repeat("x", 1000), "fields": []any{map[string]any{"name": "a", "value": "b"}}}},
		"allowed_mentions": map[string]any{"parse": []any{}},
	}
	b.ReportAllocs()
	for b.Loop() {
		if r := doJSON(b, s, "POST", "/api/v10/channels/"+DefaultChannelID+"/messages", payload); r.status != 200 {
			b.Fatalf("status %d", r.status)
		}
	}
}

// BenchmarkValidateMessage measures the limit checks alone on a large
// payload (10 embeds with 25 fields each).
func BenchmarkValidateMessage(b *testing.B) {
	var embeds []any
	for i := 0; i < 10; i++ {
		var fields []any
		for j := 0; j < 25; j++ {
			fields = append(fields, map[string]any{"name": "n", "value": "v"})
		}
		embeds = append(embeds, map[string]any{"title": "t", "description": "d", "fields": fields})
	}
	raw, err := json.Marshal(map[string]any{"content": "c", "embeds": embeds})
	if err != nil {
		b.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if errs := validateMessage(p, nil, nil); len(errs) != 0 {
			b.Fatal(errs)
		}
	}
}
