// Package deliver sends rendered reports to Discord. It owns the Delivery:
// the durable outbox behind the Outbox interface (internal/store implements
// it), the in-memory queue used while the store cannot write, the retry and
// pacing loop, batching of posts, live (edited) messages, and the senders
// for a bot channel and a webhook with their rate-limit buckets.
// ReportQueue adapts a Delivery to the Reporter's queue. Enqueue never waits
// on the network.
//
// It must not import SQLite (modernc.org, internal/store) or gonum:
// TestPurity fails if one appears in `go list -deps`.
package deliver
