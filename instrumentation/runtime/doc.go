// Package runtime registers Go runtime instruments on an OpenTelemetry
// MeterProvider: the contrib runtime instrumentation
// (go.opentelemetry.io/contrib/instrumentation/runtime: memory used and
// allocated, GC goal, goroutines, GOMAXPROCS, GOGC) and nexusmon's
// additions (scope names.ScopeRuntime): bytes freed, GC cycles, total and
// last GC pause, live heap bytes and objects, and memory obtained from the
// OS, with a nexusmon.collector.success gauge (nexusmon.collector="runtime").
//
// The additions never stop the world: heap and memory figures come from
// runtime/metrics, and GC counts and pauses from runtime/debug.ReadGCStats,
// which only takes the heap lock. Both are cheap enough to read fresh on
// every collection, so unlike contrib's they are not rate-limited.
package runtime
