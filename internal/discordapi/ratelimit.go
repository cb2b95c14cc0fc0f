package discordapi

import (
	"net/http"
	"strings"
)

// RateLimitScope returns the scope of a 429 from its headers: "global" when
// X-RateLimit-Global is true, else X-RateLimit-Scope when it is "user",
// "global" or "shared", else "" (a Cloudflare 429 carries neither). A JSON body's "global": true also means global; the caller that
// reads the body decides that.
// https://discord.com/developers/docs/topics/rate-limits#header-format
func RateLimitScope(h http.Header) string {
	if strings.EqualFold(h.Get("X-RateLimit-Global"), "true") {
		return "global"
	}
	switch s := strings.ToLower(strings.TrimSpace(h.Get("X-RateLimit-Scope"))); s {
	case "user", "global", "shared":
		return s
	}
	return ""
}
