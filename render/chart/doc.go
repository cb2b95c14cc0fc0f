// Package chart draws the health report's PNG chart: CPU, memory, gateway
// latency and Discord API response over the trend window, with their
// threshold lines. It draws with golang.org/x/image (vector for the lines,
// opentype for the text) straight onto the paletted image the PNG encodes,
// in Liberation Sans Regular, the only font linked, parsed on the first
// Render. It is its own package so that render and report stay free of
// drawing code and fonts.
package chart
