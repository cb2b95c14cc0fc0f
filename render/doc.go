// Package render turns a report.Report into what is sent: a Discord message
// payload within every one of Discord's limits (Render, CheckLimits), and
// console text (RenderConsole, ConsoleWriter). It owns the payload types
// (Payload, Embed, …) that deliver sends and the outbox stores, and
// Markdown escaping.
//
// It is pure: no network, no store, no clock. It must not import net/http,
// discordgo, golang.org/x/image (the health chart is package render/chart), SQLite, the
// OTel SDK, deliver or agent: TestPurity fails if one appears in
// `go list -deps`.
package render
