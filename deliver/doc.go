// Package deliver sends rendered reports to Discord. It owns the Delivery:
// the durable outbox behind the Outbox interface (internal/store implements
// it), the in-memory queue used while the store cannot write, the retry and
// pacing loop, batching of posts and live (edited) messages. The senders it
// drives (a bot channel, a webhook, one REST client for both) are package
// deliver/discord. ReportQueue adapts a Delivery to the Reporter's queue.
// Enqueue never waits on the network.
//
// It must not import SQLite (modernc.org, internal/store) or the chart's drawing (golang.org/x/image):
// TestPurity fails if one appears in `go list -deps`.
package deliver
