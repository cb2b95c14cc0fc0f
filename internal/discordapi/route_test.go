package discordapi

import (
	"strings"
	"testing"
)

// Ids and secrets of the route tests. The tokens look like real ones, and
// like words, so that a template keeping them is caught.
const (
	chanID  = "1100000000000000010"
	guildID = "1100000000000000000"
	appID   = "1200000000000000000"
	msgID   = "1300000000000000000"
	hookID  = "1300000000000000001"
	userID  = "1000000000000000001"
	hookTok = "Xy1_abcDEF-ghiJKLmnoPQRstuVWXyz0123456789abcdefGHIJKLmnopQRSTuvwx"
	itxTok  = "aW50ZXJhY3Rpb246MTMwMDAwMDAwMDAwMDAwMDAwMTp0b2tlbg"
	wordTok = "lowercasetoken"
)

func TestParseRoute(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path   string
		template, bucket, id string
	}{
		{"channel post", "POST", "/api/v9/channels/" + chanID + "/messages",
			RouteChannelPost, "POST /channels/" + chanID + "/messages", ""},
		{"channel edit", "patch", "/api/v10/channels/" + chanID + "/messages/" + msgID,
			RouteChannelEdit, "PATCH /channels/" + chanID + "/messages/{id}", ""},
		{"webhook execute", "POST", "/api/webhooks/" + hookID + "/" + hookTok,
			RouteWebhookPost, "POST /webhooks/" + hookID + "/{token}", ""},
		{"webhook edit behind a proxy prefix", "PATCH", "/proxy/api/v9/webhooks/" + hookID + "/" + hookTok + "/messages/" + msgID,
			RouteWebhookEdit, "PATCH /webhooks/" + hookID + "/{token}/messages/{id}", ""},
		{"interaction followup edit", "PATCH", "/api/v9/webhooks/" + appID + "/" + itxTok + "/messages/@original",
			"PATCH /webhooks/{id}/{token}/messages/@original", "PATCH /webhooks/" + appID + "/{token}/messages/@original", ""},
		{"webhook slack", "POST", "/api/webhooks/" + hookID + "/" + hookTok + "/slack",
			"POST /webhooks/{id}/{token}/slack", "POST /webhooks/" + hookID + "/{token}/slack", ""},
		{"interaction callback", "POST", "/api/v9/interactions/" + msgID + "/" + itxTok + "/callback",
			RouteInteractionCallback, "POST /interactions/{id}/{token}/callback", msgID},
		{"callback read is no response", "GET", "/api/v9/interactions/" + msgID + "/" + itxTok + "/callback",
			"GET /interactions/{id}/{token}/callback", "GET /interactions/{id}/{token}/callback", ""},
		{"word-like webhook token", "POST", "/api/v9/webhooks/" + hookID + "/" + wordTok,
			RouteWebhookPost, "POST /webhooks/" + hookID + "/{token}", ""},
		{"token after a malformed webhook id", "POST", "/api/v9/webhooks/notanid/" + wordTok,
			"POST /webhooks/notanid/{token}", "POST /webhooks/notanid/{token}", ""},
		{"token after a malformed interaction id", "POST", "/api/v9/interactions/x/" + wordTok + "/callback",
			"POST /interactions/x/{token}/callback", "POST /interactions/x/{token}/callback", ""},
		{"token without api prefix", "POST", "/webhooks/" + hookID + "/" + wordTok,
			RouteWebhookPost, "POST /webhooks/" + hookID + "/{token}", ""},
		{"guild commands", "PUT", "/api/v9/applications/" + appID + "/guilds/" + guildID + "/commands",
			"PUT /applications/{id}/guilds/{id}/commands", "PUT /applications/{id}/guilds/" + guildID + "/commands", ""},
		{"global command", "DELETE", "/api/v9/applications/" + appID + "/commands/" + msgID,
			"DELETE /applications/{id}/commands/{id}", "DELETE /applications/{id}/commands/{id}", ""},
		{"guild member", "GET", "/api/v9/guilds/" + guildID + "/members/" + userID,
			"GET /guilds/{id}/members/{id}", "GET /guilds/" + guildID + "/members/{id}", ""},
		{"reaction", "PUT", "/api/v9/channels/" + chanID + "/messages/" + msgID + "/reactions/%F0%9F%91%8D/@me",
			"PUT /channels/{id}/messages/{id}/reactions/{emoji}/@me", "PUT /channels/" + chanID + "/messages/{id}/reactions/{emoji}/@me", ""},
		{"unicode reaction", "PUT", "/api/v9/channels/" + chanID + "/messages/" + msgID + "/reactions/👍/@me",
			"PUT /channels/{id}/messages/{id}/reactions/{emoji}/@me", "PUT /channels/" + chanID + "/messages/{id}/reactions/{emoji}/@me", ""},
		{"invite", "GET", "/api/v9/invites/abcdef", "GET /invites/{code}", "GET /invites/{code}", ""},
		{"guild template", "GET", "/api/v9/guilds/templates/hgM48av5Q69A", "GET /guilds/templates/{code}", "GET /guilds/templates/{code}", ""},
		{"me", "GET", "/api/v9/users/@me/guilds", "GET /users/@me/guilds", "GET /users/@me/guilds", ""},
		{"gateway", "GET", "/api/v9/gateway", "GET /gateway", "GET /gateway", ""},
		{"oauth2", "GET", "/api/v9/oauth2/applications/@me", "GET /oauth2/applications/@me", "GET /oauth2/applications/@me", ""},
		{"hyphenated word", "GET", "/api/v9/guilds/" + guildID + "/audit-logs", "GET /guilds/{id}/audit-logs", "GET /guilds/" + guildID + "/audit-logs", ""},
		{"odd segment", "GET", "/api/v9/guilds/" + guildID + "/Weird.Segment", "GET /guilds/{id}/{param}", "GET /guilds/" + guildID + "/{param}", ""},
		{"short number is no id", "GET", "/api/v9/channels/12345", "GET /channels/{param}", "GET /channels/{param}", ""},
		{"bad version", "GET", "/api/vX/guilds", "GET /{param}/guilds", "GET /{param}/guilds", ""},
		{"root", "GET", "/", "GET /", "GET /", ""},
		{"empty", "GET", "", "GET /", "GET /", ""},
		{"api only", "GET", "/api/v9", "GET /", "GET /", ""},
		{"no api prefix", "GET", "/proxy/channels/" + chanID, "GET /proxy/channels/{id}", "GET /proxy/channels/" + chanID, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := ParseRoute(tc.method, tc.path)
			if r.Template != tc.template {
				t.Errorf("Template = %q, want %q", r.Template, tc.template)
			}
			if r.Bucket != tc.bucket {
				t.Errorf("Bucket = %q, want %q", r.Bucket, tc.bucket)
			}
			if r.Interaction != tc.id {
				t.Errorf("Interaction = %q, want %q", r.Interaction, tc.id)
			}
			if Template(tc.method, tc.path) != r.Template || BucketKey(tc.method, tc.path) != r.Bucket {
				t.Error("Template or BucketKey differs from ParseRoute")
			}
			for _, secret := range []string{hookTok, itxTok, wordTok} {
				if strings.Contains(r.Template, secret) || strings.Contains(r.Bucket, secret) {
					t.Errorf("a token is kept: %q / %q", r.Template, r.Bucket)
				}
			}
		})
	}
}
