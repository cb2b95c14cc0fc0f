// Package report is nexusmon's report engine: the Snapshot type (metric
// name → points with attributes and resource) that every source is adapted
// to, the report kinds, the five report builders (system, network, memory,
// commands, health) and the alert engine that drives package health, and
// the Reporter that runs them on each collection, keeps history and hands
// reports to the console, the JSONL events file and the Discord queue.
//
// It reads metrics by the names in internal/names and never imports
// nexusmon's instrumentation packages. Rendering (package render) and
// delivery (package deliver) import report, never the other way round: the
// Reporter hands unrendered reports to a Queue it declares.
package report
