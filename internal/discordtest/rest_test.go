package discordtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestServer_Routes(t *testing.T) {
	t.Parallel()
	s := New(t)
	tests := []struct {
		name, method, path, auth string
		status, code             int
	}{
		{"gateway needs no auth", "GET", "/api/v9/gateway", "-", 200, 0},
		{"gateway bot", "GET", "/api/v10/gateway/bot", "", 200, 0},
		{"me without auth", "GET", "/api/v9/users/@me", "-", 401, 0},
		{"me with wrong token", "GET", "/api/v9/users/@me", "Bot nope", 401, 0},
		{"me without Bot prefix", "GET", "/api/v9/users/@me", s.Token(), 401, 0},
		{"me v10", "GET", "/api/v10/users/@me", "", 200, 0},
		{"me bare api", "GET", "/api/users/@me", "", 200, 0},
		{"application", "GET", "/api/v10/applications/@me", "", 200, 0},
		{"guild", "GET", "/api/v9/guilds/" + DefaultGuildID + "?with_counts=true", "", 200, 0},
		{"unknown guild", "GET", "/api/v9/guilds/1", "", 404, 10004},
		{"channel", "GET", "/api/v9/channels/" + DefaultChannelID, "", 200, 0},
		{"unknown channel", "GET", "/api/v9/channels/1", "", 404, 10003},
		{"unknown route", "GET", "/api/v9/nothing/here", "", 404, 0},
		{"not api", "GET", "/favicon.ico", "", 404, 0},
		{"wrong method", "PUT", "/api/v9/channels/" + DefaultChannelID + "/messages", "", 405, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, query, _ := strings.Cut(tt.path, "?")
			r := do(t, s, tt.method, tt.path, "", nil, tt.auth)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d (%s)", r.status, tt.status, r.body)
			}
			if tt.status >= 400 && r.code(t) != tt.code {
				t.Errorf("code = %d, want %d", r.code(t), tt.code)
			}
			if tt.status == 401 && string(r.body) != `{"code":0,"message":"401: Unauthorized"}` {
				t.Errorf("401 body = %s", r.body)
			}
			got := s.WaitFor(t, time.Second, func(q Request) bool { return q.Path == path && q.Query == query && q.Method == tt.method })
			if got.Status != tt.status {
				t.Errorf("recorded status = %d, want %d", got.Status, tt.status)
			}
		})
	}

	r := do(t, s, "GET", "/api/v9/gateway", "", nil, "-")
	if got, want := r.json(t)["url"], "ws://"+strings.TrimPrefix(s.URL, "http://")+"/ws"; got != want {
		t.Errorf("gateway url = %v, want %v", got, want)
	}
	if r.header.Get("Date") == "" {
		t.Error("no Date header")
	}
	g := do(t, s, "GET", "/api/v9/guilds/"+DefaultGuildID+"?with_counts=true", "", nil, "").json(t)
	if g["approximate_member_count"] != 42.0 {
		t.Errorf("approximate_member_count = %v, want 42", g["approximate_member_count"])
	}
	me := do(t, s, "GET", "/api/v9/users/@me", "", nil, "").json(t)
	if me["id"] != s.BotID || me["bot"] != true {
		t.Errorf("users/@me = %v", me)
	}
}

func TestServer_Validation(t *testing.T) {
	t.Parallel()
	s := New(t, WithLimit("POST /channels/{id}/messages", RouteLimit{})) // many sends, no window
	long := func(n int) string { return strings.Repeat("é", n) }         // 2 bytes, 1 code point
	field := func(name, value string) map[string]any { return map[string]any{"name": name, "value": value} }
	fields := func(n int) []any {
		var out []any
		for i := 0; i < n; i++ {
			out = append(out, field("f", "v"))
		}
		return out
	}
	embeds := func(n int) []any {
		var out []any
		for i := 0; i < n; i++ {
			out = append(out, map[string]any{"title": "t"})
		}
		return out
	}
	png := File{Name: "graph.png", ContentType: "image/png", Data: []byte("\x89PNG")}
	tests := []struct {
		name    string
		payload map[string]any
		files   []File
		status  int
		code    int
		errPath string // dotted path expected in "errors"
	}{
		{"content at limit", map[string]any{"content": long(2000)}, nil, 200, 0, ""},
		{"content over limit", map[string]any{"content": long(2001)}, nil, 400, 50035, "content"},
		{"empty", map[string]any{"content": "  "}, nil, 400, 50006, ""},
		{"no fields at all", map[string]any{}, nil, 400, 50006, ""},
		{"ten embeds", map[string]any{"embeds": embeds(10)}, nil, 200, 0, ""},
		{"eleven embeds", map[string]any{"embeds": embeds(11)}, nil, 400, 50035, "embeds"},
		{"title over", map[string]any{"embeds": []any{map[string]any{"title": long(257)}}}, nil, 400, 50035, "embeds.0.title"},
		{"title trimmed", map[string]any{"embeds": []any{map[string]any{"title": "  " + long(256) + "  "}}}, nil, 200, 0, ""},
		{"description over", map[string]any{"embeds": []any{map[string]any{"description": long(4097)}}}, nil, 400, 50035, "embeds.0.description"},
		{"25 fields", map[string]any{"embeds": []any{map[string]any{"fields": fields(25)}}}, nil, 200, 0, ""},
		{"26 fields", map[string]any{"embeds": []any{map[string]any{"fields": fields(26)}}}, nil, 400, 50035, "embeds.0.fields"},
		{"field name empty", map[string]any{"embeds": []any{map[string]any{"fields": []any{field("", "v")}}}}, nil, 400, 50035, "embeds.0.fields.0.name"},
		{"field value empty", map[string]any{"embeds": []any{map[string]any{"fields": []any{field("n", " ")}}}}, nil, 400, 50035, "embeds.0.fields.0.value"},
		{"field name over", map[string]any{"embeds": []any{map[string]any{"fields": []any{field(long(257), "v")}}}}, nil, 400, 50035, "embeds.0.fields.0.name"},
		{"field value over", map[string]any{"embeds": []any{map[string]any{"fields": []any{field("n", long(1025))}}}}, nil, 400, 50035, "embeds.0.fields.0.value"},
		{"footer over", map[string]any{"embeds": []any{map[string]any{"footer": map[string]any{"text": long(2049)}}}}, nil, 400, 50035, "embeds.0.footer.text"},
		{"author over", map[string]any{"embeds": []any{map[string]any{"author": map[string]any{"name": long(257)}}}}, nil, 400, 50035, "embeds.0.author.name"},
		{"total 6000", map[string]any{"embeds": []any{map[string]any{"description": long(4000)}, map[string]any{"description": long(2000)}}}, nil, 200, 0, ""},
		{"total 6001", map[string]any{"embeds": []any{map[string]any{"description": long(4000)}, map[string]any{"description": long(2000), "title": "x"}}}, nil, 400, 50035, "embeds"},
		{"attachment ref ok", map[string]any{"embeds": []any{map[string]any{"image": map[string]any{"url": "attachment://graph.png"}}}}, []File{png}, 200, 0, ""},
		{"attachment ref missing", map[string]any{"embeds": []any{map[string]any{"image": map[string]any{"url": "attachment://other.png"}}}}, []File{png}, 400, 50035, "embeds"},
		{"ten files", map[string]any{}, repeatFile(png, 10), 200, 0, ""},
		{"eleven files", map[string]any{}, repeatFile(png, 11), 400, 50035, "files"},
		{"file over 10 MiB", map[string]any{}, []File{{Name: "big.bin", Data: make([]byte, 10<<20+1)}}, 400, 50035, "files.0"},
		{"parse users with users", map[string]any{"content": "hi", "allowed_mentions": map[string]any{"parse": []any{"users"}, "users": []any{"1"}}}, nil, 400, 50035, "allowed_mentions"},
		{"parse users with empty users", map[string]any{"content": "hi", "allowed_mentions": map[string]any{"parse": []any{"users", "roles"}, "users": []any{}}}, nil, 200, 0, ""},
		{"parse roles with roles", map[string]any{"content": "hi", "allowed_mentions": map[string]any{"parse": []any{"roles"}, "roles": []any{"1"}}}, nil, 400, 50035, "allowed_mentions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r result
			if tt.files != nil {
				ct, body := multipartBody(t, tt.payload, tt.files...)
				r = do(t, s, "POST", "/api/v9/channels/"+DefaultChannelID+"/messages", ct, body, "")
			} else {
				r = doJSON(t, s, "POST", "/api/v9/channels/"+DefaultChannelID+"/messages", tt.payload)
			}
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d (%.300s)", r.status, tt.status, r.body)
			}
			if tt.status == 200 {
				return
			}
			m := r.json(t)
			if int(m["code"].(float64)) != tt.code {
				t.Fatalf("code = %v, want %d", m["code"], tt.code)
			}
			if tt.errPath == "" {
				return
			}
			node, _ := m["errors"].(map[string]any)
			for _, p := range strings.Split(tt.errPath, ".") {
				node, _ = node[p].(map[string]any)
			}
			if list, _ := node["_errors"].([]any); len(list) == 0 {
				t.Errorf("no _errors at %s in %s", tt.errPath, r.body)
			}
		})
	}
}

func repeatFile(f File, n int) []File {
	var out []File
	for i := 0; i < n; i++ {
		f.Name = "f" + strconv.Itoa(i) + ".png"
		out = append(out, f)
	}
	return out
}

func TestServer_ValidationRequestShape(t *testing.T) {
	t.Parallel()
	s := New(t)
	path := "/api/v9/channels/" + DefaultChannelID + "/messages"
	r := do(t, s, "POST", path, "", []byte(`{"content":"hi"}`), "")
	if r.status != 400 || r.code(t) != 50035 || !strings.Contains(string(r.body), "CONTENT_TYPE_INVALID") {
		t.Errorf("missing Content-Type: %d %s", r.status, r.body)
	}
	r = do(t, s, "POST", path, "text/plain", []byte(`{"content":"hi"}`), "")
	if r.status != 400 || r.code(t) != 50035 {
		t.Errorf("text/plain: %d %s", r.status, r.body)
	}
	r = do(t, s, "POST", path, "application/json", []byte(`{"content":`), "")
	if r.status != 400 || r.code(t) != 50109 {
		t.Errorf("broken JSON: %d %s", r.status, r.body)
	}
	r = do(t, s, "POST", "/api/v9/channels/42/messages", "application/json", []byte(`{"content":"hi"}`), "")
	if r.status != 404 || r.code(t) != 10003 {
		t.Errorf("unknown channel: %d %s", r.status, r.body)
	}
}

func TestServer_WithoutValidation(t *testing.T) {
	t.Parallel()
	s := New(t, WithoutValidation())
	r := doJSON(t, s, "POST", "/api/v9/channels/"+DefaultChannelID+"/messages", map[string]any{"content": strings.Repeat("x", 2001)})
	if r.status != 200 {
		t.Fatalf("status = %d (%s)", r.status, r.body)
	}
	if got := s.Messages(DefaultChannelID); len(got) != 1 || len(got[0].Content) != 2001 {
		t.Errorf("messages = %d", len(got))
	}
}

func TestServer_MessageLifecycle(t *testing.T) {
	t.Parallel()
	s := New(t)
	base := "/api/v10/channels/" + DefaultChannelID + "/messages"
	ct, body := multipartBody(t, map[string]any{
		"content":          "report",
		"embeds":           []any{map[string]any{"title": "CPU", "image": map[string]any{"url": "attachment://a.png"}}},
		"allowed_mentions": map[string]any{"parse": []any{}},
	}, File{Name: "a.png", ContentType: "image/png", Data: []byte("one")})
	r := do(t, s, "POST", base, ct, body, "")
	if r.status != 200 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	created := r.json(t)
	id := created["id"].(string)
	if _, err := time.Parse(time.RFC3339, created["timestamp"].(string)); err != nil {
		t.Errorf("timestamp: %v", err)
	}
	if atts := created["attachments"].([]any); len(atts) != 1 || atts[0].(map[string]any)["filename"] != "a.png" {
		t.Errorf("attachments = %v", created["attachments"])
	}
	msgs := s.Messages(DefaultChannelID)
	if len(msgs) != 1 || !msgs[0].NoMentions || msgs[0].Files[0].Name != "a.png" || string(msgs[0].Files[0].Data) != "one" {
		t.Fatalf("messages = %+v", msgs)
	}

	// A second message, to check that ids increase and order is kept.
	r = doJSON(t, s, "POST", base, map[string]any{"content": "second", "allowed_mentions": map[string]any{"parse": nil}})
	id2 := r.json(t)["id"].(string)
	a, _ := strconv.ParseUint(id, 10, 64)
	b, _ := strconv.ParseUint(id2, 10, 64)
	if b <= a {
		t.Errorf("ids not increasing: %s then %s", id, id2)
	}
	if s.Messages(DefaultChannelID)[1].NoMentions {
		t.Error(`"parse":null counted as no mentions`)
	}

	// Edit with a new file replaces the attachments; the leaked discordgo keys are ignored.
	ct, body = multipartBody(t, map[string]any{"content": "edited", "ID": id, "Channel": DefaultChannelID},
		File{Name: "b.png", ContentType: "image/png", Data: []byte("two")})
	r = do(t, s, "PATCH", base+"/"+id, ct, body, "")
	if r.status != 200 || r.json(t)["edited_timestamp"] == nil {
		t.Fatalf("edit: %d %s", r.status, r.body)
	}
	m := s.Messages(DefaultChannelID)[0]
	if m.Content != "edited" || len(m.Files) != 1 || m.Files[0].Name != "b.png" || m.EditedAt.IsZero() || len(m.Embeds) != 1 {
		t.Errorf("after edit: %+v", m)
	}
	// Edit that keeps nothing and clears content becomes empty.
	r = doJSON(t, s, "PATCH", base+"/"+id, map[string]any{"content": "", "embeds": nil, "attachments": []any{}})
	if r.status != 400 || r.code(t) != 50006 {
		t.Errorf("empty edit: %d %s", r.status, r.body)
	}
	r = do(t, s, "GET", base+"/"+id, "", nil, "")
	if r.status != 200 || r.json(t)["content"] != "edited" {
		t.Errorf("get: %d %s", r.status, r.body)
	}

	s.DeleteMessage(DefaultChannelID, id)
	r = doJSON(t, s, "PATCH", base+"/"+id, map[string]any{"content": "again"})
	if r.status != 404 || string(r.body) != `{"code":10008,"message":"Unknown Message"}` {
		t.Errorf("edit deleted: %d %s", r.status, r.body)
	}
	r = do(t, s, "DELETE", base+"/"+id2, "", nil, "")
	if r.status != 204 {
		t.Errorf("delete: %d", r.status)
	}
	if got := s.Messages(DefaultChannelID); len(got) != 0 {
		t.Errorf("messages after deletes = %d", len(got))
	}
}

func TestServer_MessageFlags(t *testing.T) {
	t.Parallel()
	s := New(t)
	_, _, hookURL := s.CreateWebhook(DefaultChannelID)
	hookPath := strings.TrimPrefix(hookURL, s.URL)
	for name, route := range map[string]struct{ post, edit string }{
		"bot":     {"/api/v10/channels/" + DefaultChannelID + "/messages", "/api/v10/channels/" + DefaultChannelID + "/messages/"},
		"webhook": {hookPath + "?wait=true", hookPath + "/messages/"},
	} {
		t.Run(name, func(t *testing.T) {
			// SUPPRESS_NOTIFICATIONS (4096) is set at creation and recorded.
			r := doJSON(t, s, "POST", route.post, map[string]any{"content": name, "flags": 4096})
			if r.status != 200 || r.json(t)["flags"] != 4096.0 {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
			id := r.json(t)["id"].(string)
			flags := func() int64 {
				for _, m := range s.Messages(DefaultChannelID) {
					if m.ID == id {
						return m.Flags
					}
				}
				t.Fatalf("message %s not found", id)
				return 0
			}
			if got := flags(); got != 4096 {
				t.Errorf("Message.Flags = %d, want 4096", got)
			}
			// An edit sets or clears SUPPRESS_EMBEDS (4) only; Discord
			// ignores changes to the other flags without an error.
			for _, step := range []struct {
				body map[string]any
				want int64
			}{
				{map[string]any{"content": "edited"}, 4096},
				{map[string]any{"flags": 4}, 4096 | 4},
				{map[string]any{"flags": 0}, 4096},
				{map[string]any{"flags": 64 | 4}, 4096 | 4},
			} {
				if r := doJSON(t, s, "PATCH", route.edit+id, step.body); r.status != 200 {
					t.Fatalf("edit %v: %d %s", step.body, r.status, r.body)
				}
				if got := flags(); got != step.want {
					t.Errorf("after edit %v: flags %d, want %d", step.body, got, step.want)
				}
			}
		})
	}
}

func TestServer_Webhook(t *testing.T) {
	t.Parallel()
	s := New(t)
	id, token, url := s.CreateWebhook(DefaultChannel2ID)
	if url != s.URL+"/api/v10/webhooks/"+id+"/"+token {
		t.Fatalf("url = %s", url)
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	post := func(u string, body string) (*http.Response, []byte) {
		t.Helper()
		resp, err := hc.Post(u, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(resp.Body); err != nil {
			t.Fatal(err)
		}
		return resp, buf.Bytes()
	}
	resp, _ := post(url, `{"content":"no wait"}`)
	if resp.StatusCode != 204 {
		t.Errorf("no wait: %d", resp.StatusCode)
	}
	if resp.Header.Get("X-RateLimit-Limit") != "5" {
		t.Errorf("webhook limit header = %q, want 5", resp.Header.Get("X-RateLimit-Limit"))
	}
	resp, body := post(url+"?wait=true", `{"content":"wait"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("wait: %d %s", resp.StatusCode, body)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if m["webhook_id"] != id || m["channel_id"] != DefaultChannel2ID {
		t.Errorf("message = %v", m)
	}
	msgs := s.Messages(DefaultChannel2ID)
	if len(msgs) != 2 || msgs[0].WebhookID != id || msgs[1].Content != "wait" {
		t.Fatalf("messages = %+v", msgs)
	}

	req, err := http.NewRequest("PATCH", url+"/messages/"+msgs[1].ID, strings.NewReader(`{"content":"edited"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	eresp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	eresp.Body.Close()
	if eresp.StatusCode != 200 || s.Messages(DefaultChannel2ID)[1].Content != "edited" {
		t.Errorf("webhook edit: %d", eresp.StatusCode)
	}

	resp, body = post(s.URL+"/api/v10/webhooks/"+id+"/wrong-token", `{"content":"x"}`)
	if resp.StatusCode != 404 || string(body) != `{"code":10015,"message":"Unknown Webhook"}` {
		t.Errorf("wrong token: %d %s", resp.StatusCode, body)
	}
	resp, body = post(url+"/messages/@original", `{"content":"x"}`)
	if resp.StatusCode != 405 {
		t.Errorf("POST to a message: %d %s", resp.StatusCode, body)
	}
}

func TestServer_RateLimit(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := New(t, WithClock(clk.now), WithLimit("POST /channels/{id}/messages", RouteLimit{Limit: 5, Window: 5 * time.Second}))
	path := "/api/v9/channels/" + DefaultChannelID + "/messages"
	var bucket string
	for i := 0; i < 5; i++ {
		clk.advance(100 * time.Millisecond)
		r := doJSON(t, s, "POST", path, map[string]any{"content": "x"})
		if r.status != 200 {
			t.Fatalf("send %d: %d", i, r.status)
		}
		h := r.header
		if h.Get("X-RateLimit-Limit") != "5" || h.Get("X-RateLimit-Remaining") != strconv.Itoa(4-i) {
			t.Errorf("send %d: limit %q remaining %q", i, h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Remaining"))
		}
		// The window opened at the first send; each send is 100 ms later.
		if want := strconv.FormatFloat(5-0.1*float64(i), 'f', 3, 64); h.Get("X-RateLimit-Reset-After") != want {
			t.Errorf("send %d: reset-after %q, want %s", i, h.Get("X-RateLimit-Reset-After"), want)
		}
		reset := float64(clk.t.Add(-100*time.Millisecond*time.Duration(i)).Add(5*time.Second).UnixMilli()) / 1000
		if want := strconv.FormatFloat(reset, 'f', 3, 64); h.Get("X-RateLimit-Reset") != want {
			t.Errorf("send %d: reset %q, want %s", i, h.Get("X-RateLimit-Reset"), want)
		}
		if bucket == "" {
			bucket = h.Get("X-RateLimit-Bucket")
		} else if h.Get("X-RateLimit-Bucket") != bucket {
			t.Errorf("bucket changed")
		}
	}
	if bucket == "" {
		t.Error("no X-RateLimit-Bucket")
	}
	clk.advance(1400 * time.Millisecond) // 1.8 s into the window
	r := doJSON(t, s, "POST", path, map[string]any{"content": "x"})
	if r.status != 429 {
		t.Fatalf("6th send: %d", r.status)
	}
	if r.header.Get("X-RateLimit-Scope") != "user" || r.header.Get("Retry-After") != "4" || r.header.Get("X-RateLimit-Global") != "" {
		t.Errorf("429 headers: %v", r.header)
	}
	body := r.json(t)
	if body["retry_after"] != 3.2 || body["global"] != false || body["message"] == "" {
		t.Errorf("429 body: %s", r.body)
	}
	// Another channel has its own window.
	if r := doJSON(t, s, "POST", "/api/v9/channels/"+DefaultChannel2ID+"/messages", map[string]any{"content": "x"}); r.status != 200 {
		t.Errorf("other channel: %d", r.status)
	}
	if len(s.Messages(DefaultChannelID)) != 5 {
		t.Errorf("a rate-limited message was stored")
	}
	clk.advance(3200 * time.Millisecond)
	if r := doJSON(t, s, "POST", path, map[string]any{"content": "x"}); r.status != 200 || r.header.Get("X-RateLimit-Remaining") != "4" {
		t.Errorf("after the window: %d remaining %q", r.status, r.header.Get("X-RateLimit-Remaining"))
	}
	if s.RateLimited() != 1 || s.InvalidRequests() != 1 {
		t.Errorf("RateLimited = %d, InvalidRequests = %d, want 1, 1", s.RateLimited(), s.InvalidRequests())
	}
}

func TestServer_Script(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := New(t, WithClock(clk.now))
	route := "POST /channels/{id}/messages"
	path := "/api/v9/channels/" + DefaultChannelID + "/messages"
	s.Script(route,
		Reply{Status: 429, RetryAfter: 1.5, Global: true},
		Reply{Status: 429, RetryAfter: 0.25, Scope: "shared"},
		Reply{Status: 500},
		Reply{Status: 502, Body: "<html>bad gateway</html>"},
		Reply{},
	)
	r := doJSON(t, s, "POST", path, map[string]any{"content": "x"})
	h := r.header
	if r.status != 429 || h.Get("X-RateLimit-Global") != "true" || h.Get("X-RateLimit-Scope") != "global" ||
		h.Get("Retry-After") != "2" || h.Get("X-RateLimit-Reset-After") != "" || h.Get("X-RateLimit-Limit") != "" {
		t.Errorf("global 429: %d %v", r.status, h)
	}
	if b := r.json(t); b["retry_after"] != 1.5 || b["global"] != true {
		t.Errorf("global 429 body: %s", r.body)
	}
	r = doJSON(t, s, "POST", path, map[string]any{"content": "x"})
	if r.status != 429 || r.header.Get("X-RateLimit-Scope") != "shared" || r.header.Get("X-RateLimit-Reset-After") != "0.250" || r.header.Get("Retry-After") != "1" {
		t.Errorf("shared 429: %d %v", r.status, r.header)
	}
	r = doJSON(t, s, "POST", path, map[string]any{"content": "x"})
	if r.status != 500 || r.code(t) != 0 {
		t.Errorf("500: %d %s", r.status, r.body)
	}
	r = doJSON(t, s, "POST", path, map[string]any{"content": "x"})
	if r.status != 502 || string(r.body) != "<html>bad gateway</html>" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("502: %d %s", r.status, r.body)
	}
	r = doJSON(t, s, "POST", path, map[string]any{"content": "ok"})
	if r.status != 200 {
		t.Errorf("after script: %d", r.status)
	}
	if got := s.Messages(DefaultChannelID); len(got) != 1 || got[0].Content != "ok" {
		t.Errorf("messages = %+v", got)
	}
	// Shared-scope 429s are not invalid requests; global ones are.
	if s.RateLimited() != 2 || s.InvalidRequests() != 1 {
		t.Errorf("RateLimited = %d, InvalidRequests = %d, want 2, 1", s.RateLimited(), s.InvalidRequests())
	}
	clk.advance(10*time.Minute + time.Second)
	if s.InvalidRequests() != 0 {
		t.Errorf("InvalidRequests after 10 min = %d", s.InvalidRequests())
	}
}

func TestServer_Outage(t *testing.T) {
	t.Parallel()
	s := New(t)
	path := "/api/v9/channels/" + DefaultChannelID + "/messages"
	s.SetOutage(503)
	if r := doJSON(t, s, "POST", path, map[string]any{"content": "x"}); r.status != 503 {
		t.Errorf("outage: %d", r.status)
	}
	s.SetOutage(-1)
	hc := &http.Client{Transport: s.Transport(), Timeout: 5 * time.Second}
	req, err := http.NewRequest("POST", "https://discord.com"+path, strings.NewReader(`{"content":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bot "+s.Token())
	resp, err := hc.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("reset: got status %d, want a transport error", resp.StatusCode)
	}
	s.SetOutage(0)
	if r := doJSON(t, s, "POST", path, map[string]any{"content": "x"}); r.status != 200 {
		t.Errorf("after outage: %d", r.status)
	}
	reqs := s.Requests()
	if len(reqs) != 3 || reqs[0].Status != 503 || reqs[1].Status != 0 || reqs[2].Status != 200 {
		t.Errorf("recorded statuses: %+v", reqs)
	}
	if len(s.Messages(DefaultChannelID)) != 1 {
		t.Error("a message was stored during the outage")
	}
}

func TestServer_ScriptDelayAndReset(t *testing.T) {
	t.Parallel()
	s := New(t)
	route := "POST /channels/{id}/messages"
	path := "/api/v9/channels/" + DefaultChannelID + "/messages"
	s.Script(route, Reply{Reset: true}, Reply{Delay: 2 * time.Second})
	hc := &http.Client{Transport: s.Transport(), Timeout: 200 * time.Millisecond}
	send := func() error {
		req, err := http.NewRequest("POST", "https://discord.com"+path, strings.NewReader(`{"content":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bot "+s.Token())
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	if err := send(); err == nil {
		t.Error("reset: no error")
	}
	err := send()
	var te interface{ Timeout() bool }
	if !errors.As(err, &te) || !te.Timeout() {
		t.Errorf("delayed reply: err = %v, want a client timeout", err)
	}
}
