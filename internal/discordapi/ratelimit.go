package discordapi

import "strings"

// RateLimitScope returns the scope of a 429 from its headers: "global" when
// X-RateLimit-Global is true, else X-RateLimit-Scope when it is "user",
// "global" or "shared", else "" (a Cloudflare 429 carries neither). A JSON
// body's "global": true also means global; the caller that reads the body
// decides that. header is the response's Header.Get: discordapi stays free
// of net/http, which render and report must not import.
// https://discord.com/developers/docs/topics/rate-limits#header-format
func RateLimitScope(header func(string) string) string {
	if strings.EqualFold(header("X-RateLimit-Global"), "true") {
		return "global"
	}
	switch s := strings.ToLower(strings.TrimSpace(header("X-RateLimit-Scope"))); s {
	case "user", "global", "shared":
		return s
	}
	return ""
}
