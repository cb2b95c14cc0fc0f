package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/internal/discordtest"
	"github.com/nexusmon/nexusmon/internal/names"
)

// Interaction options are untrusted input: anyone who can see the command
// can send any JSON the Discord client lets through, and a compromised or
// buggy client anything at all. FuzzNexusInteraction feeds /nexus
// invocations with arbitrary data.options to the agent's router, the way
// discordgo hands them over (JSON decoded into discordgo.InteractionCreate),
// with a session whose REST calls go to one fake Discord.

// rzCall is one REST request the fuzz session made.
type rzCall struct {
	Method, Path string
	Status       int    // 0 when there was no answer
	Payload      []byte // the JSON body, or the payload_json part of a multipart body
}

// rzRecorder records the session's requests on their way to the fake.
type rzRecorder struct {
	base  http.RoundTripper
	mu    sync.Mutex
	calls []rzCall
}

func (r *rzRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		// The original body has been read (or failed): it is done with.
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read request body: %w", err)
		}
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := r.base.RoundTrip(out)
	c := rzCall{Method: req.Method, Path: req.URL.Path, Payload: rzPayloadJSON(req.Header.Get("Content-Type"), body)}
	if err == nil {
		c.Status = resp.StatusCode
	}
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
	return resp, err
}

// take returns the calls recorded since the last take.
func (r *rzRecorder) take() []rzCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

// rzPayloadJSON returns the JSON document of a request body.
func rzPayloadJSON(contentType string, body []byte) []byte {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		return body
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return nil
		}
		if p.FormName() == "payload_json" {
			b, err := io.ReadAll(p)
			if err != nil {
				return nil
			}
			return b
		}
	}
}

// rzFuzzEnv is what every fuzz input shares: one fake Discord, one started
// agent (console mode, nothing written) and one REST-only session.
type rzFuzzEnv struct {
	srv  *discordtest.Server
	a    *Agent
	sess *discordgo.Session
	rec  *rzRecorder

	panics uint64 // recovered panics seen so far (inputs run one at a time)
}

func rzNewFuzzEnv(tb testing.TB) *rzFuzzEnv {
	tb.Helper()
	off := discordtest.RouteLimit{} // no rate limits: inputs arrive faster than any window
	srv := discordtest.New(tb,
		discordtest.WithLimit("POST /interactions/{id}/{token}/callback", off),
		discordtest.WithLimit("POST /webhooks/{id}/{token}", off),
		discordtest.WithLimit("PATCH /webhooks/{id}/{token}/messages/{id}", off),
	)
	cfg := config.Default()
	cfg.Probes.DiscordAPI = ""
	cfg.Probes.Internet = nil
	cfg.Storage.Path = filepath.Join(tb.TempDir(), "nexusmon.db")
	cfg.Output.JSONL = ""
	cfg.Output.Console = config.ConsoleOff
	cfg.HTTP.Listen = ""
	if err := cfg.Validate(); err != nil {
		tb.Fatalf("fuzz config invalid: %v", err)
	}
	a, err := New(context.Background(), cfg, WithEnv(noEnv), WithStdout(io.Discard))
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	if err := a.Start(context.Background()); err != nil {
		tb.Fatalf("Start: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.Stop(ctx); err != nil {
			tb.Errorf("Stop: %v", err)
		}
	})
	sess, err := discordgo.New("Bot " + srv.Token())
	if err != nil {
		tb.Fatal(err)
	}
	rec := &rzRecorder{base: srv.Transport()}
	sess.Client = &http.Client{Timeout: 10 * time.Second, Transport: rec}
	return &rzFuzzEnv{srv: srv, a: a, sess: sess, rec: rec}
}

// rzPanics returns how many command invocations ended in a recovered panic
// (discord.command.duration points with error.type "panic").
func rzPanics(t *testing.T, a *Agent) uint64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := a.manual.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("collect: %v", err)
	}
	var n uint64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			h, ok := m.Data.(metricdata.Histogram[float64])
			if m.Name != names.CommandDuration || !ok {
				continue
			}
			for _, dp := range h.DataPoints {
				if v, ok := dp.Attributes.Value(attribute.Key(names.AttrErrorType)); ok && v.AsString() == "panic" {
					n += dp.Count
				}
			}
		}
	}
	return n
}

// rzNexusData returns the data object of a /nexus invocation whose options
// are options when they are JSON, else one subcommand named by them.
func rzNexusData(options []byte) []byte {
	if !json.Valid(options) {
		name, _ := json.Marshal(string(options)) // a string always marshals
		options = []byte(`[{"name":` + string(name) + `,"type":1}]`)
	}
	return []byte(`{"id":"1300000000000000000","name":"nexus","type":1,"options":` + string(options) + `}`)
}

// rzInteraction is an INTERACTION_CREATE payload as Discord sends it (the
// shape internal/discordtest dispatches), with data spliced in.
func rzInteraction(id, token, appID string, admin, dm bool, data []byte) []byte {
	perms := "0"
	if admin {
		perms = fmt.Sprint(discordgo.PermissionAdministrator)
	}
	user := `{"id":"1000000000000000001","username":"mallory","global_name":"Mallory","discriminator":"0","avatar":null}`
	where := `"guild_id":"` + discordtest.DefaultGuildID + `","channel_id":"` + discordtest.DefaultChannelID +
		`","member":{"user":` + user + `,"roles":[],"permissions":"` + perms + `","joined_at":"2024-01-01T00:00:00.000000+00:00","deaf":false,"mute":false,"flags":0}`
	if dm {
		where = `"channel_id":"` + discordtest.DefaultChannelID + `","user":` + user
	}
	return []byte(`{"id":"` + id + `","application_id":"` + appID + `","type":2,"token":"` + token +
		`","version":1,"locale":"en-US","app_permissions":"2251799813685247",` + where + `,"data":` + string(data) + `}`)
}

// rzStrings returns every string in the decoded options: names and string
// values, at any depth.
func rzStrings(opts []*discordgo.ApplicationCommandInteractionDataOption) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for k, e := range x {
				out = append(out, k)
				walk(e)
			}
		}
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		out = append(out, o.Name)
		walk(o.Value)
		out = append(out, rzStrings(o.Options)...)
	}
	return out
}

// rzHostile reports whether s is long enough to be recognised in an answer
// and carries Markdown or mention syntax.
func rzHostile(s string) bool {
	return len(strings.TrimSpace(s)) >= 8 && strings.ContainsAny(s, "@<>*_~`|#[]()\\")
}

// rzAnswerTexts returns the rendered text of an answer (content and every
// embed text), and whether it carries a message at all.
func rzAnswerTexts(msg map[string]any) (texts []string, message bool) {
	if c, _ := msg["content"].(string); c != "" {
		texts = append(texts, c)
	}
	embeds, _ := msg["embeds"].([]any)
	for _, e := range embeds {
		em, _ := e.(map[string]any)
		for _, k := range []string{"title", "description"} {
			if s, _ := em[k].(string); s != "" {
				texts = append(texts, s)
			}
		}
		for _, k := range []string{"footer", "author"} {
			sub, _ := em[k].(map[string]any)
			for _, kk := range []string{"text", "name"} {
				if s, _ := sub[kk].(string); s != "" {
					texts = append(texts, s)
				}
			}
		}
		fields, _ := em["fields"].([]any)
		for _, f := range fields {
			fm, _ := f.(map[string]any)
			for _, k := range []string{"name", "value"} {
				if s, _ := fm[k].(string); s != "" {
					texts = append(texts, s)
				}
			}
		}
	}
	return texts, len(texts) > 0 || len(embeds) > 0
}

// rzNoMentions reports whether allowed_mentions is {"parse":[]} with no
// user or role ids.
func rzNoMentions(msg map[string]any) bool {
	am, ok := msg["allowed_mentions"].(map[string]any)
	if !ok {
		return false
	}
	parse, ok := am["parse"].([]any)
	if !ok || len(parse) != 0 {
		return false
	}
	for _, k := range []string{"users", "roles"} {
		if l, _ := am[k].([]any); len(l) > 0 {
			return false
		}
	}
	return true
}

var nexusSubcommands = map[string]bool{"test_reporting": true, "status": true, "health": true, "alerts": true}

func FuzzNexusInteraction(f *testing.F) {
	huge := strings.Repeat("@everyone <@123> **", 4096) // 77 KiB
	many := make([]string, 0, 500)
	for i := range 500 {
		many = append(many, fmt.Sprintf(`{"name":"o%d","type":3,"value":"<@&%d>"}`, i, i))
	}
	deep := strings.Repeat(`{"name":"status","type":2,"options":[`, 100) + `{"name":"status","type":1}` + strings.Repeat(`]}`, 100)
	seeds := []struct {
		options   string
		admin, dm bool
	}{
		// Valid invocations.
		{`[{"name":"status","type":1}]`, false, false},
		{`[{"name":"alerts","type":1}]`, true, false},
		{`[{"name":"health","type":1}]`, false, true},
		{`[{"name":"test_reporting","type":1}]`, false, false},
		{`[{"name":"test_reporting","type":1}]`, false, true},
		// Options where none are taken, of every JSON type.
		{`[{"name":"test_reporting","type":1,"options":[{"name":"x","type":3,"value":"@everyone look at this **now**"}]}]`, true, false},
		{`[{"name":"status","type":1,"options":[{"name":"who","type":6,"value":"<@123456789012345678>"},{"name":"role","type":8,"value":"<@&123456789012345678>"},{"name":"chan","type":7,"value":"<#123456789012345678>"}]}]`, false, false},
		{`[{"name":"alerts","type":1,"options":[{"name":"n","type":4,"value":-9007199254740993},{"name":"f","type":10,"value":1.5e308},{"name":"b","type":5,"value":true},{"name":"z","type":3,"value":null},{"name":"o","type":3,"value":{"@here":["<@1>",{"x":"||spoiler||"}]}},{"name":"a","type":3,"value":[1,"two",false,null]}]}]`, false, false},
		{`[{"name":"health","type":1,"options":[{"name":"md","type":3,"value":"__u__ ~~s~~ ||spoiler|| ` + "`code` ```block```" + ` > quote # heading [link](https://evil.example) \\ -- @here"}]}]`, true, false},
		// Unknown, misplaced and malformed subcommands.
		{`[{"name":"drop_tables","type":1}]`, true, false},
		{`[{"name":"@everyone","type":1}]`, false, false},
		{`[{"name":"status","type":3,"value":"status"}]`, false, false},
		{`[{"name":"status","type":1},{"name":"health","type":1}]`, false, false},
		{`[null]`, false, false},
		{`[]`, false, false},
		{`null`, false, false},
		{`{"name":"status","type":1}`, false, false},
		{`[{"name":"","type":1}]`, false, false},
		{`[{"type":1}]`, false, false},
		{`[{"name":"status","type":"1"}]`, false, false},
		{`[{"name":"status","type":1,"focused":true,"options":null}]`, false, false},
		{deep, false, false},
		{`[{"name":"status","type":2,"options":[` + strings.Join(many, ",") + `]}]`, false, false},
		{`[{"name":"health","type":1,"options":[{"name":"huge","type":3,"value":"` + huge + `"}]}]`, false, false},
		{"[{\"name\":\"status\",\"type\":1,\"options\":[{\"name\":\"x\",\"type\":3,\"value\":\"\xff@everyone\xfe\u202e\"}]}]", false, false},
		// Not JSON: taken as a subcommand name.
		{"**<@123>** @everyone", false, false},
		{"status\x00\u202e@here", false, false},
		{"\xff\xfe\xfd <@!1> \xc3\x28", true, false},
	}
	for _, s := range seeds {
		f.Add([]byte(s.options), s.admin, s.dm)
	}
	env := rzNewFuzzEnv(f)

	f.Fuzz(func(t *testing.T, options []byte, admin, dm bool) {
		id, token := env.srv.InjectInteraction(discordtest.Interaction{GuildID: discordtest.DefaultGuildID, Command: "nexus"})
		raw := rzInteraction(id, token, env.srv.AppID, admin, dm, rzNexusData(options))
		var ic discordgo.InteractionCreate
		if err := json.Unmarshal(raw, &ic); err != nil {
			return // discordgo drops an event it cannot decode
		}
		data, ok := ic.Data.(discordgo.ApplicationCommandInteractionData)
		if !ok {
			t.Fatalf("a type 2 interaction decoded to %T", ic.Data)
		}
		var sub *discordgo.ApplicationCommandInteractionDataOption
		if len(data.Options) > 0 {
			sub = data.Options[0]
		}
		known := sub != nil && nexusSubcommands[sub.Name]
		withOptions := len(data.Options) != 1 || (sub != nil && len(sub.Options) != 0)
		if known && sub.Name == "test_reporting" && !withOptions && ic.Member != nil {
			// An administrator's plain /nexus test_reporting runs the whole
			// self-test (seconds of real deliveries): discord_test.go covers
			// it. Here it is a non-administrator's, refused at once.
			ic.Member.Permissions = 0
		}

		env.a.Router().Handle(env.sess, &ic)
		calls := env.rec.take()

		if n := rzPanics(t, env.a); n != env.panics {
			env.panics = n // the counter is cumulative: report each input's own
			t.Fatalf("the invocation ended in a recovered panic")
		}
		var hostile []string
		for _, s := range append(rzStrings(data.Options), string(options)) {
			if rzHostile(s) && utf8.ValidString(s) {
				hostile = append(hostile, s)
			}
		}
		for _, c := range calls {
			if !strings.Contains(c.Path, token) {
				t.Errorf("request to %s %s, which is not this interaction's", c.Method, c.Path)
				continue
			}
			if c.Status < 200 || c.Status > 299 {
				t.Errorf("%s %s answered %d: %s", c.Method, c.Path, c.Status, c.Payload)
			}
			var body map[string]any
			if err := json.Unmarshal(c.Payload, &body); err != nil {
				t.Fatalf("%s %s: body is not a JSON object: %v", c.Method, c.Path, err)
			}
			msg := body
			if strings.HasSuffix(c.Path, "/callback") {
				msg, _ = body["data"].(map[string]any)
			}
			texts, message := rzAnswerTexts(msg)
			if !message {
				continue // a deferred acknowledgement carries no message
			}
			if !rzNoMentions(msg) {
				t.Errorf("answer without an empty allowed_mentions parse list: %v", msg["allowed_mentions"])
			}
			for _, txt := range texts {
				for _, live := range []string{"@everyone", "@here", "<@", "<#"} {
					if strings.Contains(txt, live) {
						t.Errorf("answer text carries a live %q: %.200q", live, txt)
					}
				}
				for _, h := range hostile {
					if strings.Contains(txt, h) {
						t.Errorf("answer echoes the input %.80q unescaped", h)
					}
				}
			}
		}
		if known && len(calls) == 0 {
			t.Errorf("/nexus %s got no answer", sub.Name)
		}
		if known && withOptions {
			// Options are refused unread: one ephemeral answer saying so.
			if len(calls) != 1 || !strings.Contains(string(calls[0].Payload), "takes no options") ||
				!strings.Contains(string(calls[0].Payload), `"flags":64`) {
				t.Errorf("/nexus %s with options: answers %+v, want one ephemeral refusal", sub.Name, calls)
			}
		}
	})
}
