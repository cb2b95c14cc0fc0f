// Package errtext owns making error text safe to show: Sanitize redacts
// what looks like a secret (bot, webhook and interaction tokens,
// Authorization values, URL user information, key=value secrets, long
// opaque strings), drops control and bidi characters and bounds the length.
//
// It is pure logic on the standard library and must not import anything
// of nexusmon (instrumentation, agent, report or the exporters) nor
// discordgo.
package errtext
