package discordapi

import "strings"

// Route templates nexusmon's code compares against (see Route).
const (
	RouteChannelPost         = "POST /channels/{id}/messages"
	RouteChannelEdit         = "PATCH /channels/{id}/messages/{id}"
	RouteWebhookPost         = "POST /webhooks/{id}/{token}"
	RouteWebhookEdit         = "PATCH /webhooks/{id}/{token}/messages/{id}"
	RouteInteractionCallback = "POST /interactions/{id}/{token}/callback"
)

// Placeholders of a route template.
const (
	phID    = "{id}"
	phToken = "{token}"
	phEmoji = "{emoji}"
	phCode  = "{code}"
	phParam = "{param}"
)

// Route is a Discord REST request reduced to what may be kept: its
// templates never contain a token, whatever the path holds.
type Route struct {
	// Template is the method (upper case), a space and the path after its
	// /api or /api/vN prefix, with every snowflake replaced by {id}, webhook
	// and interaction tokens by {token}, reaction emoji by {emoji}, invite
	// and template codes by {code}, and any other segment that is not a
	// fixed route word (lower case letters, digits, '-', '_', a leading '@')
	// by {param}; for example "POST /channels/{id}/messages". Its
	// cardinality is bounded by Discord's route table, so it suits a metric
	// attribute.
	Template string
	// Bucket is the rate-limit bucket key: Template with the major
	// parameters kept, the ids that follow "channels", "guilds" and
	// "webhooks" (for example "POST /channels/1100000000000000010/messages").
	// Discord limits each major parameter separately; a webhook's limit is
	// per id and token, and since a token belongs to one webhook id the key
	// keeps the id only: a token is a secret and never part of a key.
	// https://discord.com/developers/docs/topics/rate-limits
	Bucket string
	// Interaction is the interaction id of an initial response
	// (Template RouteInteractionCallback); "" for any other request.
	Interaction string
}

// ParseRoute returns the Route of a request. path is the URL path as sent:
// everything up to its first "api" segment and an "vN" segment right after
// it is dropped, so a proxy prefix (/proxy/api/v9/...) and the API version
// do not change the result; a path without an "api" segment is used whole.
func ParseRoute(method, path string) Route {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		if s != "api" {
			continue
		}
		segs = segs[i+1:]
		if len(segs) > 0 && isVersion(segs[0]) {
			segs = segs[1:]
		}
		break
	}
	if len(segs) == 1 && segs[0] == "" {
		segs = nil
	}
	method = strings.ToUpper(method)
	var tmpl, bucket strings.Builder
	tmpl.Grow(len(method) + len(path) + 16)
	tmpl.WriteString(method)
	tmpl.WriteByte(' ')
	bucket.WriteString(tmpl.String())
	if len(segs) == 0 {
		tmpl.WriteByte('/')
		bucket.WriteByte('/')
	}
	var r Route
	for i, s := range segs {
		prev, prev2 := "", ""
		if i >= 1 {
			prev = segs[i-1]
		}
		if i >= 2 {
			prev2 = segs[i-2]
		}
		t, keep := phParam, false
		switch {
		case prev2 == "webhooks" || prev2 == "interactions":
			// /webhooks/{id}/{token}/..., /interactions/{id}/{token}/...:
			// this position always holds a token, whatever it looks like.
			t = phToken
		case prev == "reactions":
			t = phEmoji
		case prev == "invites" || prev == "templates":
			t = phCode
		case IsSnowflake(s):
			t = phID
			keep = prev == "channels" || prev == "guilds" || prev == "webhooks"
			if i == 1 && segs[0] == "interactions" {
				r.Interaction = s
			}
		case isWord(s):
			t, keep = s, true
		}
		tmpl.WriteByte('/')
		tmpl.WriteString(t)
		bucket.WriteByte('/')
		if keep {
			bucket.WriteString(s)
		} else {
			bucket.WriteString(t)
		}
	}
	r.Template, r.Bucket = tmpl.String(), bucket.String()
	if r.Template != RouteInteractionCallback {
		r.Interaction = ""
	}
	return r
}

// Template returns ParseRoute(method, path).Template.
func Template(method, path string) string { return ParseRoute(method, path).Template }

// BucketKey returns ParseRoute(method, path).Bucket.
func BucketKey(method, path string) string { return ParseRoute(method, path).Bucket }

// isVersion reports whether s is an API version segment such as "v10".
func isVersion(s string) bool {
	if len(s) < 2 || s[0] != 'v' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isWord reports whether s is a fixed route word such as "messages",
// "@me", "@original", "oauth2" or "audit-logs".
func isWord(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c == '-', c == '_':
		case c >= '0' && c <= '9' && i > 0:
		case c == '@' && i == 0:
		default:
			return false
		}
	}
	return true
}
