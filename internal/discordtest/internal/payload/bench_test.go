package payload

import (
	"encoding/json"
	"testing"
)

// BenchmarkMessage measures the limit checks alone on a large
// payload (10 embeds with 25 fields each).
func BenchmarkMessage(b *testing.B) {
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
		if errs := Message(p, nil, nil); len(errs) != 0 {
			b.Fatal(errs)
		}
	}
}
