// Package discordtest is a fake Discord for tests: a REST API and a gateway,
// served on 127.0.0.1, that real discordgo v0.29.0 sessions, discord.py 2.2
// bots, discord.js v14 clients and plain HTTP clients talk to.
//
// It owns the wire behaviour the project relies on: message, webhook, interaction and
// application-command routes; Discord's payload limits (400 50035 "Invalid
// Form Body" with an error tree); per-route rate-limit headers and 429s;
// scripted replies, outages and connection resets; and a gateway with HELLO,
// IDENTIFY, READY, GUILD_CREATE, heartbeats, RESUME with replay, op 7, op 9,
// close codes and dropped connections, in text frames or, for a client
// that asks with ?compress=zlib-stream (discord.py), in one zlib stream per
// connection. Every request is recorded for assertions.
//
// It must not touch the internet, read files, or change any package-level
// state (discordgo's Endpoint variables and websocket.DefaultDialer are left
// alone), so tests using it can run with t.Parallel. Every goroutine it starts
// ends when the test's cleanup runs.
//
// # Routes
//
// Paths are accepted with the prefixes /api/v9, /api/v10 (any /api/vN) and
// /api. Route keys, used by Script and WithLimit, are the method and the path
// without prefix, with every snowflake replaced by {id} and every token by
// {token} (the @original message alias also matches {id}):
//
//	GET    /gateway
//	GET    /gateway/bot
//	GET    /users/@me
//	GET    /applications/@me
//	GET    /oauth2/applications/@me
//	GET    /applications/{id}/commands
//	PUT    /applications/{id}/commands
//	POST   /applications/{id}/commands
//	GET    /applications/{id}/commands/{id}
//	PATCH  /applications/{id}/commands/{id}
//	DELETE /applications/{id}/commands/{id}
//	GET    /applications/{id}/guilds/{id}/commands
//	PUT    /applications/{id}/guilds/{id}/commands
//	POST   /applications/{id}/guilds/{id}/commands
//	GET    /applications/{id}/guilds/{id}/commands/{id}
//	PATCH  /applications/{id}/guilds/{id}/commands/{id}
//	DELETE /applications/{id}/guilds/{id}/commands/{id}
//	GET    /guilds/{id}
//	GET    /guilds/{id}/channels
//	GET    /channels/{id}
//	POST   /channels/{id}/messages
//	GET    /channels/{id}/messages/{id}
//	PATCH  /channels/{id}/messages/{id}
//	DELETE /channels/{id}/messages/{id}
//	POST   /webhooks/{id}/{token}
//	GET    /webhooks/{id}/{token}/messages/{id}
//	PATCH  /webhooks/{id}/{token}/messages/{id}
//	DELETE /webhooks/{id}/{token}/messages/{id}
//	POST   /interactions/{id}/{token}/callback
//
// Application commands behave as on Discord: POST overwrites the command of
// the same type and name in place (keeping its id) or creates one, PUT
// replaces the scope's list (keeping the ids of the names it repeats), and
// RegisteredCommands shows what is stored. Message flags are recorded
// (Message.Flags); an edit changes only SUPPRESS_EMBEDS, as on Discord.
//
// Webhook and interaction routes need no Authorization header (it is ignored
// there); every other route except GET /gateway needs "Bot <token>".
//
// # discord.js
//
// A discord.js v14 client needs only its REST base pointed at the fake:
// new Client({ rest: { api: srv.URL + "/api" } }). It appends /v10 (its
// rest.version option), finds the gateway through GET /gateway/bot and
// connects to it with ?v=10&encoding=json, in text frames (discord.js asks
// for zlib-stream only when the optional zlib-sync package is installed).
// examples/discordjs runs a bot this way.
//
// # Rate limits
//
// Each route key has its own fixed window per major parameter (channel id,
// guild id, webhook id and token, application id), announced in
// X-RateLimit-Limit, -Remaining, -Reset, -Reset-After and -Bucket on every
// answer. Defaults: routes under /channels/{id}/messages 5 per 5 s, routes
// under /webhooks 5 per 2 s, every other route 50 per second. A request over
// the window gets 429 with retry_after (> 0), Retry-After (whole seconds,
// rounded up) and X-RateLimit-Scope: user. Scripted replies and outages
// bypass the windows.
//
// # Layout
//
// The package is the Server and its REST side: routes, messages, webhooks,
// interactions, application commands, scripts and outages, and the API
// tests use. Three ideas that do not need the Server's state live in
// sub-packages only discordtest can import, so that no package is over
// about 2,500 lines:
//
//   - internal/gateway: the websocket protocol (connections, sessions,
//     heartbeats, RESUME and replay, op 7 and op 9, close codes,
//     zlib-stream). It reads what READY and GUILD_CREATE say through
//     gateway.State, which the Server implements; the Server's gateway
//     methods (Dispatch, DropAll, Heartbeats, ...) delegate to it.
//   - internal/payload: request bodies (JSON, multipart with payload_json)
//     and Discord's limits on messages and application commands, with the
//     400 50035 error tree. Pure, standard library only.
//   - internal/ratelimit: the fixed windows, their defaults and the
//     X-RateLimit-* and 429 answers. Standard library only.
//
// The fake imports no other nexusmon package (TestPurity): it is an
// independent reading of Discord's documentation, so a wrong fact in
// nexusmon cannot be wrong in the fake too.
//
// # Known differences from Discord
//
//   - More than 10 files, a file over 10 MiB and an attachment:// reference
//     without a matching file part are all answered 400 50035 (Discord uses
//     30015 and 413 40005 for the first two).
//   - Multipart bodies must carry JSON in payload_json; individual form fields
//     are ignored.
//   - SetOutage affects REST only; the gateway has its own fault knobs.
//   - A GET over a reused keep-alive connection that meets a Reset reply is
//     retried once by net/http itself, so script two resets for GETs.
package discordtest
