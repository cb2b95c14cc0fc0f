// Package throttle owns error-storm throttling: a Throttle lets the first
// burst events of each window through and counts the rest into one Digest
// per window, by command, module and error type. Package bot instantiates
// it for ErrorEvent (bot.Throttle, bot.NewThrottle, bot.ErrorDigest).
//
// It is pure logic on the standard library: time comes from its callers.
// It must not import package bot, the agent, the report engine or
// discordgo.
package throttle
