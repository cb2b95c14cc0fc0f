package discordtest

import (
	"encoding/json"
	"testing"
)

func TestServer_Commands(t *testing.T) {
	t.Parallel()
	s := New(t)
	path := "/api/v9/applications/" + s.AppID + "/guilds/" + DefaultGuildID + "/commands"
	cmds := []any{map[string]any{"name": "nexus", "description": "Nexus", "default_member_permissions": "8",
		"options": []any{map[string]any{"type": 1, "name": "test_reporting", "description": "Send test reports"}}}}
	r := doJSON(t, s, "PUT", path, cmds)
	if r.status != 200 {
		t.Fatalf("put: %d %s", r.status, r.body)
	}
	var echoed []map[string]any
	if err := json.Unmarshal(r.body, &echoed); err != nil {
		t.Fatal(err)
	}
	if len(echoed) != 1 || echoed[0]["id"] == "" || echoed[0]["application_id"] != s.AppID || echoed[0]["guild_id"] != DefaultGuildID {
		t.Fatalf("echo = %v", echoed)
	}
	got := s.RegisteredCommands(DefaultGuildID)
	if len(got) != 1 || got[0]["name"] != "nexus" || got[0]["id"] != echoed[0]["id"] {
		t.Errorf("registered = %v", got)
	}
	if len(s.RegisteredCommands("")) != 0 {
		t.Error("global commands registered")
	}
	// Overwriting keeps the id of a command with the same name.
	r = doJSON(t, s, "PUT", path, cmds)
	var again []map[string]any
	if err := json.Unmarshal(r.body, &again); err != nil {
		t.Fatal(err)
	}
	if again[0]["id"] != echoed[0]["id"] {
		t.Errorf("id changed on overwrite")
	}
	r = doJSON(t, s, "PUT", path, []any{map[string]any{"name": "nexus", "description": ""}})
	if r.status != 400 || r.code(t) != 50035 {
		t.Errorf("bad command: %d %s", r.status, r.body)
	}
	r = doJSON(t, s, "PUT", "/api/v9/applications/"+s.AppID+"/commands", []any{})
	if r.status != 200 || string(r.body) != "[]" {
		t.Errorf("global empty put: %d %s", r.status, r.body)
	}
	r = doJSON(t, s, "PUT", "/api/v9/applications/999/commands", []any{})
	if r.status != 403 {
		t.Errorf("other app: %d", r.status)
	}
}

// TestServer_CommandUpsert: POST creates or overwrites by name keeping the
// id, PATCH edits, DELETE removes, GET reads one; each scope is separate.
func TestServer_CommandUpsert(t *testing.T) {
	t.Parallel()
	s := New(t)
	for name, base := range map[string]string{
		"global": "/api/v9/applications/" + s.AppID + "/commands",
		"guild":  "/api/v9/applications/" + s.AppID + "/guilds/" + DefaultGuildID + "/commands",
	} {
		t.Run(name, func(t *testing.T) {
			scope := ""
			if name == "guild" {
				scope = DefaultGuildID
			}
			mk := func(cmdName, desc string) map[string]any {
				return map[string]any{"name": cmdName, "description": desc}
			}
			r := doJSON(t, s, "POST", base, mk("play", "Play a song"))
			if r.status != 201 {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
			play := r.json(t)
			if play["version"] == "" || play["application_id"] != s.AppID || play["type"] != 1.0 {
				t.Errorf("created = %v", play)
			}
			r = doJSON(t, s, "POST", base, mk("skip", "Skip"))
			skipID := r.json(t)["id"]
			// The same name again overwrites in place: same id, new fields.
			r = doJSON(t, s, "POST", base, mk("play", "Play a track"))
			if r.status != 200 || r.json(t)["id"] != play["id"] || r.json(t)["description"] != "Play a track" || r.json(t)["version"] == play["version"] {
				t.Errorf("upsert: %d %s", r.status, r.body)
			}
			// A user command of the same name is another command.
			r = doJSON(t, s, "POST", base, map[string]any{"name": "play", "type": 2})
			if r.status != 201 || r.json(t)["id"] == play["id"] {
				t.Errorf("user command: %d %s", r.status, r.body)
			}
			userID := r.json(t)["id"].(string)
			if got := s.RegisteredCommands(scope); len(got) != 3 || got[0]["description"] != "Play a track" {
				t.Fatalf("registered = %v", got)
			}
			r = doJSON(t, s, "PATCH", base+"/"+skipID.(string), map[string]any{"description": "Skip this song"})
			if r.status != 200 || r.json(t)["description"] != "Skip this song" || r.json(t)["name"] != "skip" {
				t.Errorf("patch: %d %s", r.status, r.body)
			}
			r = doJSON(t, s, "PATCH", base+"/"+skipID.(string), map[string]any{"name": "play"})
			if r.status != 400 {
				t.Errorf("patch to a taken name: %d %s", r.status, r.body)
			}
			if r = do(t, s, "GET", base+"/"+skipID.(string), "", nil, ""); r.status != 200 || r.json(t)["description"] != "Skip this song" {
				t.Errorf("get: %d %s", r.status, r.body)
			}
			if r = do(t, s, "DELETE", base+"/"+userID, "", nil, ""); r.status != 204 {
				t.Errorf("delete: %d %s", r.status, r.body)
			}
			for _, m := range []string{"GET", "DELETE"} {
				if r = do(t, s, m, base+"/"+userID, "", nil, ""); r.status != 404 || r.code(t) != 10063 {
					t.Errorf("%s deleted: %d %s", m, r.status, r.body)
				}
			}
			// Created again after a delete, a command gets a new id.
			r = doJSON(t, s, "POST", base, map[string]any{"name": "play", "type": 2})
			if r.status != 201 || r.json(t)["id"] == userID {
				t.Errorf("re-create: %d %s", r.status, r.body)
			}
			// A bulk overwrite keeps the ids of the names it repeats and
			// drops the rest.
			r = doJSON(t, s, "PUT", base, []any{mk("play", "Play")})
			if r.status != 200 {
				t.Fatalf("put: %d %s", r.status, r.body)
			}
			if got := s.RegisteredCommands(scope); len(got) != 1 || got[0]["id"] != play["id"] {
				t.Errorf("after put = %v", got)
			}
			r = doJSON(t, s, "PUT", base, []any{mk("a", "A"), mk("a", "B")})
			if r.status != 400 {
				t.Errorf("duplicate names in put: %d %s", r.status, r.body)
			}
		})
	}
}
