// Package discord is nexusmon's Discord metric exporter: it turns what the
// OTel SDK collected into reports (via a small Snapshot type of its own),
// evaluates alerts with package health, renders reports within Discord's
// limits, and delivers them through a durable outbox to a bot channel, a
// webhook, the console or the JSONL events file.
//
// It never imports nexusmon's instrumentation packages: it reads metrics by
// the names in internal/names. Export never waits on the network.
package discord
