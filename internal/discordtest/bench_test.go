package discordtest

import (
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
