//go:build !race

package bot

// raceBuild: the race detector adds allocations of its own (see
// sampledInvocationAllocs).
const raceBuild = false
