// Package chart draws the health report's PNG chart: CPU, memory, gateway
// latency and Discord API response over the trend window, with their
// threshold lines. It draws with golang.org/x/image (vector for the lines,
// opentype for the text) straight onto the paletted image the PNG encodes,
// in Liberation Sans Regular, the only font linked, parsed on the first
// Render. It encodes the PNG itself (internal/pngenc: fixed Huffman codes,
// runs and copies of the row above, about 10 KB of buffers kept with the
// canvas) rather than with image/png, whose compress/flate compressor
// allocated 1.17 MB for each chart once the garbage collector had emptied
// its pool: the first chart of a process allocates about 470 KB (was
// 1.67 MB), and the chart's PNG is about 17 KB (was 11). It is its own
// package so that render and report stay free of drawing code and fonts.
package chart
