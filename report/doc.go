// Package report is nexusmon's report engine. It owns the Snapshot type
// (metric name → points with attributes and resource) that every source is
// adapted to (sdkadapter for the OTel SDK), the report kinds and modes and
// their defaults, the thresholds, the five report builders (system,
// network, memory, commands, health), the alert engine that drives package
// health, and the Reporter that runs them on each collection, keeps history
// and hands reports to the console, the JSONL events file and the Discord
// queue.
//
// Its inputs are a Snapshot and the small interfaces it declares: Store
// (history, samples, alert state), Queue and StateQueue (the Discord
// delivery, which takes unrendered reports and commits alert state with
// them), Console, and Options.Chart (the health chart's PNG).
//
// It must not import discordgo, the chart's drawing (golang.org/x/image, fonts), SQLite (modernc.org, internal/store),
// net/http or the OTel SDK, nor render, deliver, sdkadapter or agent, which
// import report: TestPurity fails if one appears in `go list -deps`. It
// reads metrics by the names in internal/names and never imports nexusmon's
// instrumentation packages.
package report
