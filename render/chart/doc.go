// Package chart draws the health report's PNG chart (gonum/plot): CPU,
// memory, gateway latency and Discord API response over the trend window,
// with their threshold lines. It is its own package so that render and
// report stay free of gonum.
package chart
