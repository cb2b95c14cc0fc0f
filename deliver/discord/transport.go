package discord

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// discordHost is the host discordgo builds every REST URL with.
const discordHost = "discord.com"

// apiSuffix matches an API root at the end of a base path ("/api",
// "/api/v10"), which discordgo's paths already carry.
var apiSuffix = regexp.MustCompile(`/api(/v[0-9]+)?$`)

// rewriteTransport sends https://discord.com/... requests to another base.
type rewriteTransport struct {
	scheme, host, prefix string
	base                 http.RoundTripper
}

// NewRewriteTransport returns a RoundTripper that sends every request for
// https://discord.com/... to apiURL instead, keeping the path after any path
// prefix of apiURL: with apiURL http://127.0.0.1:8080/proxy, a request for
// https://discord.com/api/v9/channels/1/messages goes to
// http://127.0.0.1:8080/proxy/api/v9/channels/1/messages. A trailing /api or
// /api/vN in apiURL is dropped, because the paths carry their own. Requests
// for other hosts (attachments' CDN, for example) pass through unchanged. It
// is what the bot sender and the agent's gateway session use (discordgo
// fetches the gateway URL through it), so Discord API proxies such as
// nirn-proxy and the tests' fake Discord work without touching discordgo's
// Endpoint variables. A nil base means http.DefaultTransport. With apiURL
// https://discord.com (or empty) base is returned as it is.
func NewRewriteTransport(apiURL string, base http.RoundTripper) (http.RoundTripper, error) {
	if base == nil {
		base = http.DefaultTransport
	}
	if apiURL == "" {
		return base, nil
	}
	u, err := url.Parse(apiURL)
	if err != nil {
		return nil, errors.New("parse discord api url: invalid URL")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("parse discord api url: want http:// or https:// and a host, got scheme %q", u.Scheme)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("parse discord api url: user info, query and fragment are not allowed")
	}
	prefix := apiSuffix.ReplaceAllString(strings.TrimRight(u.Path, "/"), "")
	if u.Scheme == "https" && strings.EqualFold(u.Host, discordHost) && prefix == "" {
		return base, nil
	}
	return &rewriteTransport{scheme: u.Scheme, host: u.Host, prefix: prefix, base: base}, nil
}

// RoundTrip implements http.RoundTripper.
func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.EqualFold(req.URL.Hostname(), discordHost) {
		return t.base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.URL.Scheme, r.URL.Host, r.Host = t.scheme, t.host, t.host
	if t.prefix != "" {
		r.URL.Path = t.prefix + req.URL.Path
		if req.URL.RawPath != "" {
			r.URL.RawPath = t.prefix + req.URL.RawPath
		}
	}
	return t.base.RoundTrip(r)
}

// CloseIdleConnections closes the idle connections of the base transport.
func (t *rewriteTransport) CloseIdleConnections() { closeIdle(t.base) }

// closeIdle closes the idle connections of rt when it can.
func closeIdle(rt http.RoundTripper) {
	if c, ok := rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
