package chart

import (
	"bytes"
	"image"
	"image/png"
	"runtime"
	"testing"

	"github.com/nexusmon/nexusmon/render/chart/internal/pngenc"
)

// drawn returns a renderer with benchChart drawn on its canvas.
func drawn(t *testing.T) *renderer {
	t.Helper()
	r := new(renderer)
	if err := r.init(); err != nil {
		t.Fatal(err)
	}
	r.draw(benchChart())
	return r
}

// TestRender_pngRoundTrip: the chart's PNG (internal/pngenc) decodes with
// image/png to the canvas, pixel for pixel, with the chart's palette.
func TestRender_pngRoundTrip(t *testing.T) {
	t.Parallel()
	r := drawn(t)
	var buf bytes.Buffer
	if err := r.png.Encode(&buf, r.img); err != nil {
		t.Fatal(err)
	}
	got, ok := decodeChart(t, buf.Bytes()).(*image.Paletted)
	if !ok {
		t.Fatal("the chart does not decode to a paletted image")
	}
	if len(got.Palette) != len(chartPalette) {
		t.Fatalf("palette of %d colours, want %d", len(got.Palette), len(chartPalette))
	}
	for i, c := range got.Palette {
		if !near(c, paletteRGBA[i], 0) {
			t.Fatalf("palette[%d] = %v, want %v", i, c, paletteRGBA[i])
		}
	}
	if !bytes.Equal(got.Pix, r.img.Pix) {
		t.Fatal("the decoded chart's pixels differ from the canvas")
	}
	var std bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&std, r.img); err != nil {
		t.Fatal(err)
	}
	t.Logf("chart PNG: %d bytes (image/png BestSpeed: %d)", buf.Len(), std.Len())
}

// TestRender_encodeAllocBudget: encoding the chart with a fresh encoder
// (nothing pooled, as after a garbage collection between two health
// reports) allocates its row and chunk buffers and the output, not a
// compressor: image/png allocated about 1.2 MB here.
func TestRender_encodeAllocBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocation")
	}
	r := drawn(t)
	least := uint64(1 << 62)
	var before, after runtime.MemStats
	for range 5 {
		runtime.ReadMemStats(&before)
		var e pngenc.Encoder
		var buf bytes.Buffer
		buf.Grow(24 << 10)
		if err := e.Encode(&buf, r.img); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	const budget = 64 << 10
	if least > budget {
		t.Errorf("encoding the chart allocates %d bytes, budget %d", least, budget)
	}
	t.Logf("encoding the chart with a fresh encoder allocates %d bytes", least)
}
