package discordtest

import "testing"

// discord.py's Client.login reads GET /oauth2/applications/@me and needs
// rpc_origins, owner and verify_key in it.
func TestServer_OAuth2Application(t *testing.T) {
	t.Parallel()
	s := New(t)
	r := do(t, s, "GET", "/api/v10/oauth2/applications/@me", "", nil, "")
	if r.status != 200 {
		t.Fatalf("status = %d (%s)", r.status, r.body)
	}
	app := r.json(t)
	owner, _ := app["owner"].(map[string]any)
	if _, ok := app["rpc_origins"].([]any); !ok || app["id"] != s.AppID || owner["id"] == nil || app["verify_key"] == nil {
		t.Errorf("application = %v, want id %s, rpc_origins, owner and verify_key", app, s.AppID)
	}
	if r := do(t, s, "GET", "/api/v10/oauth2/applications/@me", "", nil, "-"); r.status != 401 {
		t.Errorf("without auth: status = %d, want 401", r.status)
	}
}
