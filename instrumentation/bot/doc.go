// Package bot instruments a discordgo bot with OpenTelemetry.
//
// The command side (this file's siblings router.go, middleware.go,
// command.go, transport.go, errors.go and tracker.go) covers what the bot
// does:
//
//   - Router dispatches slash commands of modules ("cogs") to handlers and
//     registers their definitions beside the bot's own commands (creating
//     or updating only its own, deleting only those a CommandLedger says it
//     registered before); Instruments.Wrap does the same instrumentation
//     for a bot that routes interactions itself.
//   - Every invocation gets a server span "command <name>", the
//     discord.command.duration histogram (recorded with the span's context
//     so exemplars carry its trace id), invocation counters by outcome,
//     guild and channel, and the time to the first interaction response
//     with a counter of responses later than Discord's 3 s deadline.
//   - Handler errors and recovered panics are classified (error.type),
//     sanitised (no tokens, bounded length) and passed as ErrorEvents to an
//     OnError callback; Throttle turns error storms into digests.
//   - NewTransport measures the REST calls of the discordgo Session by
//     route template (never the raw path, which holds tokens), counts
//     429s by scope and keeps the 10-minute invalid-request count that
//     Cloudflare bans on.
//
// The session side (gateway, guilds, latency) is SessionObserver, in
// session.go and sessionguilds.go; it reads the gateway connection through
// the tap of the subpackage gatewaytap, which reports heartbeats, their
// ACKs and close codes. All instruments use the scope names.ScopeBot and
// the names in internal/names. Guild, channel, interaction and user IDs go
// on spans only, except for the two counters keyed by guild and by channel.
//
// The package must not import agent, receiver, report, render, deliver or
// health (DESIGN §2: instrumentation never imports the engine).
package bot
