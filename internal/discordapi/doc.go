// Package discordapi owns the facts about Discord's API that nexusmon's
// configuration, delivery and instrumentation must agree on: what a Discord
// id (snowflake) looks like, how a REST request path becomes a route
// template (a metric attribute) or a rate-limit bucket key, the scope of a
// 429, the message limits, and the message flags nexusmon sets.
//
// It holds constants and pure functions only. It must not do I/O, keep
// state, log, or import anything but the standard library, so that every
// other package can import it without pulling in discordgo, OpenTelemetry or
// the store. Values that come from Discord's documentation link to it.
package discordapi
