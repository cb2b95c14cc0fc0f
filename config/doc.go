// Package config owns nexusmon's YAML configuration: the Config type, its
// defaults (Default is the one place they live), strict loading and
// validation. It is public so that a Go bot can read the documented fields
// (package agent's Config, LoadConfig and DefaultConfig are aliases and
// wrappers of this package's).
//
// Loading goes Default, then a strict decode of the file over the defaults
// (unknown keys are errors), then the DISCORD_TOKEN and DISCORD_WEBHOOK_URL
// environment overrides, then discord.token_file, then Validate. Every
// problem found is reported at once, each as a *Problem carrying the file,
// the line and the dotted key.
//
// The package must not log, reads no files but the ones it is given (the
// config file and discord.token_file), and must never put a secret (bot
// token, webhook URL, OTLP header values) into an error or formatted output:
// Secret and Headers redact themselves. The OTEL_* environment variables are
// applied by the caller, not here.
package config
