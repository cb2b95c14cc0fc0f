//go:build !race

package report

// raceBuild: the race detector adds allocations of its own (see
// systemReportAllocs).
const raceBuild = false
