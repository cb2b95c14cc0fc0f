// Package deliver sends rendered reports to Discord: a durable outbox
// (with an in-memory queue while the store cannot write), the retry and
// pacing loop, batching of posts, live (edited) messages, and the senders
// for a bot channel and a webhook with rate-limit buckets. Enqueue never
// waits on the network. ReportQueue adapts a Delivery to the Reporter's
// queue (package report).
package deliver
