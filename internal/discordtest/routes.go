package discordtest

import (
	"regexp"
	"strings"
)

// route is one REST endpoint: its key template and the index of its major
// parameter segments (for the rate-limit bucket).
type route struct {
	method string
	tmpl   []string // literal segments, or "{id}" / "{token}"
	major  []int    // indexes of segments that form the major parameter
	bot    bool     // requires Authorization: Bot <token>
	h      func(s *Server, c *call) response
}

func (r *route) key() string {
	return r.method + " /" + strings.Join(r.tmpl, "/")
}

func mkroute(method, path string, bot bool, major []int, h func(*Server, *call) response) *route {
	return &route{method: method, tmpl: strings.Split(strings.TrimPrefix(path, "/"), "/"), major: major, bot: bot, h: h}
}

// routes is the table of endpoints the fake serves.
var routes = []*route{
	mkroute("GET", "/gateway", false, nil, (*Server).getGateway),
	mkroute("GET", "/gateway/bot", true, nil, (*Server).getGatewayBot),
	mkroute("GET", "/users/@me", true, nil, (*Server).getMe),
	mkroute("GET", "/applications/@me", true, nil, (*Server).getApplication),
	mkroute("GET", "/oauth2/applications/@me", true, nil, (*Server).getApplication),
	mkroute("GET", "/applications/{id}/commands", true, []int{1}, (*Server).getCommands),
	mkroute("PUT", "/applications/{id}/commands", true, []int{1}, (*Server).putCommands),
	mkroute("POST", "/applications/{id}/commands", true, []int{1}, (*Server).postCommand),
	mkroute("GET", "/applications/{id}/commands/{id}", true, []int{1}, (*Server).getCommand),
	mkroute("PATCH", "/applications/{id}/commands/{id}", true, []int{1}, (*Server).patchCommand),
	mkroute("DELETE", "/applications/{id}/commands/{id}", true, []int{1}, (*Server).deleteCommand),
	mkroute("GET", "/applications/{id}/guilds/{id}/commands", true, []int{1, 3}, (*Server).getCommands),
	mkroute("PUT", "/applications/{id}/guilds/{id}/commands", true, []int{1, 3}, (*Server).putCommands),
	mkroute("POST", "/applications/{id}/guilds/{id}/commands", true, []int{1, 3}, (*Server).postCommand),
	mkroute("GET", "/applications/{id}/guilds/{id}/commands/{id}", true, []int{1, 3}, (*Server).getCommand),
	mkroute("PATCH", "/applications/{id}/guilds/{id}/commands/{id}", true, []int{1, 3}, (*Server).patchCommand),
	mkroute("DELETE", "/applications/{id}/guilds/{id}/commands/{id}", true, []int{1, 3}, (*Server).deleteCommand),
	mkroute("GET", "/guilds/{id}", true, []int{1}, (*Server).getGuild),
	mkroute("GET", "/guilds/{id}/channels", true, []int{1}, (*Server).getGuildChannels),
	mkroute("GET", "/channels/{id}", true, []int{1}, (*Server).getChannel),
	mkroute("POST", "/channels/{id}/messages", true, []int{1}, (*Server).postChannelMessage),
	mkroute("GET", "/channels/{id}/messages/{id}", true, []int{1}, (*Server).getChannelMessage),
	mkroute("PATCH", "/channels/{id}/messages/{id}", true, []int{1}, (*Server).patchChannelMessage),
	mkroute("DELETE", "/channels/{id}/messages/{id}", true, []int{1}, (*Server).deleteChannelMessage),
	mkroute("POST", "/webhooks/{id}/{token}", false, []int{1, 2}, (*Server).executeWebhook),
	mkroute("GET", "/webhooks/{id}/{token}/messages/{id}", false, []int{1, 2}, (*Server).getWebhookMessage),
	mkroute("PATCH", "/webhooks/{id}/{token}/messages/{id}", false, []int{1, 2}, (*Server).patchWebhookMessage),
	mkroute("DELETE", "/webhooks/{id}/{token}/messages/{id}", false, []int{1, 2}, (*Server).deleteWebhookMessage),
	mkroute("POST", "/interactions/{id}/{token}/callback", false, []int{1, 2}, (*Server).interactionCallback),
}

var apiPrefix = regexp.MustCompile(`^/api(/v[0-9]+)?(/|$)`)

// stripPrefix removes /api or /api/vN from p. ok is false when p is not an
// API path.
func stripPrefix(p string) (string, bool) {
	loc := apiPrefix.FindStringIndex(p)
	if loc == nil {
		return "", false
	}
	rest := p[loc[1]:]
	return "/" + strings.TrimSuffix(rest, "/"), true
}

// match finds the route for method and the prefix-free path. It returns the
// path parameters in order; known is true when the path exists under another
// method (405).
func match(method, path string) (r *route, params []string, known bool) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for _, rt := range routes {
		ps, ok := matchSegs(rt.tmpl, segs)
		if !ok {
			continue
		}
		if rt.method != method {
			known = true
			continue
		}
		return rt, ps, true
	}
	return nil, nil, known
}

func matchSegs(tmpl, segs []string) ([]string, bool) {
	if len(tmpl) != len(segs) {
		return nil, false
	}
	var ps []string
	for i, t := range tmpl {
		switch t {
		case "{id}", "{token}":
			if segs[i] == "" || (t == "{id}" && strings.HasPrefix(segs[i], "@") && segs[i] != "@original") {
				return nil, false
			}
			ps = append(ps, segs[i])
		default:
			if segs[i] != t {
				return nil, false
			}
		}
	}
	return ps, true
}

// majorOf returns the rate-limit major parameter of a matched path.
func (r *route) majorOf(path string) string {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var parts []string
	for _, i := range r.major {
		parts = append(parts, segs[i])
	}
	return strings.Join(parts, "/")
}
