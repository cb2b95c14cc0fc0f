// Package discord is the Discord side of delivery: the senders for a bot
// channel (BotSender) and a channel webhook (WebhookSender), which make one
// attempt per call through one REST client (rest.go) that encodes
// messages, applies the rate-limit buckets of discordapi.BucketKey and
// classifies answers into a SendError whose text holds no secret; the
// conversion of a render.Payload to an interaction response; and the API
// base rewrite for proxies and the tests' fake Discord. Retrying, waiting
// and ordering belong to package deliver.
//
// It must not import SQLite (modernc.org, internal/store), golang.org/x/image or the
// report engine: TestPurity fails if one appears in `go list -deps`.
package discord
