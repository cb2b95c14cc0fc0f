// Package selftest owns the reporting self-test (/nexus test_reporting and
// `nexusmon test-report`): its five checks (connectivity, formatting,
// transmission, recovery, alerts), each bounded in time, and the TEST
// report of their checklist. Package agent re-exports it (Check, the
// Check* names, RunChecks, ChecksReport) and keeps TestReport, which starts
// an agent of its own.
//
// It takes what it needs from the agent through Deps (the sender, the
// delivery, the store as a deliver.Outbox, the Reporter interface, a
// collect function). It must not import package agent (which imports it),
// the store, the OTel SDK, instrumentation or the receiver (TestPurity).
// Only agent imports it.
package selftest
