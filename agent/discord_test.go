package agent

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/instrumentation/bot"
	"github.com/nexusmon/nexusmon/internal/discordtest"
)

// silentFlag is Discord's SUPPRESS_NOTIFICATIONS message flag.
const silentFlag = 1 << 12

// fakeDiscord starts the fake with message limits raised so that 1 s
// reports are not paced for seconds.
func fakeDiscord(t *testing.T) *discordtest.Server {
	t.Helper()
	fast := discordtest.RouteLimit{Limit: 50, Window: time.Second}
	return discordtest.New(t,
		discordtest.WithLimit("POST /channels/{id}/messages", fast),
		discordtest.WithLimit("PATCH /channels/{id}/messages/{id}", fast),
		discordtest.WithLimit("POST /webhooks/{id}/{token}", fast),
	)
}

func botConfig(t *testing.T, srv *discordtest.Server) *config.Config {
	cfg := testConfig(t)
	cfg.Discord.Token = config.Secret(srv.Token())
	cfg.Discord.ChannelID = discordtest.DefaultChannelID
	cfg.Discord.GuildID = discordtest.DefaultGuildID
	cfg.Discord.APIURL = srv.URL
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// waitFor polls cond until it holds or the bound passes.
func waitFor(t *testing.T, bound time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func titled(msgs []discordtest.Message, part string) []discordtest.Message {
	var out []discordtest.Message
	for _, m := range msgs {
		for _, e := range m.Embeds {
			if title, _ := e["title"].(string); strings.Contains(title, part) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

func embedText(m discordtest.Message) string {
	b, _ := json.Marshal(m.Embeds) // decoded JSON always re-marshals
	return string(b)
}

func TestAgent_botReportsSessionAndCommands(t *testing.T) {
	srv := fakeDiscord(t)
	cfg := botConfig(t, srv)
	cfg.Reports.Commands.Interval = 2 * time.Second
	startAgent(t, cfg)
	ch := discordtest.DefaultChannelID

	// The gateway session connects and /nexus is registered in the guild.
	waitFor(t, 20*time.Second, "IDENTIFY", func() bool { return srv.Identifies() >= 1 })
	waitFor(t, 20*time.Second, "command registration", func() bool { return len(srv.RegisteredCommands(discordtest.DefaultGuildID)) == 1 })
	cmd := srv.RegisteredCommands(discordtest.DefaultGuildID)[0]
	if cmd["name"] != "nexus" || cmd["default_member_permissions"] != "8" {
		t.Errorf("registered %v", cmd)
	}

	// Reports arrive as embeds with their JSON attached; nothing can ping.
	waitFor(t, 30*time.Second, "a system report and a health report", func() bool {
		msgs := srv.Messages(ch)
		return len(titled(msgs, "Detailed System Monitor")) == 1 && len(titled(msgs, "Comprehensive Health Report")) >= 1
	})
	for _, m := range srv.Messages(ch) {
		if !m.NoMentions {
			t.Errorf("message %s lacks allowed_mentions {\"parse\":[]}: %s", m.ID, m.AllowedMentions)
		}
	}
	sys := titled(srv.Messages(ch), "Detailed System Monitor")[0]
	if len(sys.Files) != 1 || sys.Files[0].Name != "detailed_system_monitoring.json" {
		t.Errorf("system report files = %+v", sys.Files)
	}
	var env struct {
		Event string `json:"event"`
		Data  struct {
			BotMetrics map[string]any `json:"bot_metrics"`
		} `json:"data"`
	}
	// Edit mode: the live system message is edited in place, never posted twice.
	waitFor(t, 30*time.Second, "an edited system report with the session's counts", func() bool {
		msgs := titled(srv.Messages(ch), "Detailed System Monitor")
		if len(msgs) != 1 || msgs[0].EditedAt.IsZero() {
			return false
		}
		if err := json.Unmarshal(msgs[0].Files[0].Data, &env); err != nil {
			t.Fatal(err)
		}
		return env.Data.BotMetrics["connected"] == true
	})
	bm := env.Data.BotMetrics
	if bm["guilds"] != 1.0 || bm["users"] != 42.0 || bm["channels"] != 2.0 {
		t.Errorf("bot_metrics = %v, want the fake's 1 guild, 42 members, 2 channels", bm)
	}
	if lat, ok := bm["latency_ms"].(float64); ok && lat < 0 {
		t.Errorf("latency_ms = %v", lat)
	}
	if len(titled(srv.Messages(ch), "Command Performance")) == 0 {
		waitFor(t, 20*time.Second, "a command analysis report", func() bool { return len(titled(srv.Messages(ch), "Command Performance")) > 0 })
	}

	// /nexus test_reporting from an administrator: deferred, then an all-✅ checklist.
	id, _ := srv.InjectInteraction(discordtest.Interaction{GuildID: discordtest.DefaultGuildID, ChannelID: ch, UserID: "1000000000000000001",
		Permissions: discordgo.PermissionAdministrator, Command: "nexus", Subcommand: "test_reporting"})
	var followup discordtest.Request
	waitFor(t, 60*time.Second, "the test_reporting follow-up", func() bool {
		for _, r := range srv.InteractionResponses(id) {
			if r.Method == "POST" && strings.HasPrefix(r.Route, "POST /webhooks/") {
				followup = r
				return true
			}
		}
		return false
	})
	resp := srv.InteractionResponses(id)
	if resp[0].Route != "POST /interactions/{id}/{token}/callback" || !strings.Contains(string(resp[0].Body), `"type":5`) || resp[0].Status != 204 {
		t.Errorf("first answer = %s %s (%d), want a deferred callback accepted", resp[0].Route, resp[0].Body, resp[0].Status)
	}
	body := string(followup.PayloadJSON)
	if body == "" {
		body = string(followup.Body)
	}
	if !strings.Contains(body, "5/5 passed") || strings.Contains(body, "❌") {
		t.Errorf("checklist not all ✅: %s", body)
	}
	if !strings.Contains(body, `"parse":[]`) {
		t.Errorf("follow-up lacks an empty parse list: %s", body)
	}

	// Routine messages (reports, the start notice, the self-test's test
	// messages) are posted silently; the self-test's alert notifies, like
	// a real one (discord.silent_reports is on by default).
	msgs := srv.Messages(ch)
	for part, want := range map[string]int64{
		"Detailed System Monitor":     silentFlag,
		"Comprehensive Health Report": silentFlag,
		"Command Performance":         silentFlag,
		"started":                     silentFlag,
		"TEST · 📋":                    silentFlag,
		"TEST · 🚨":                    0,
	} {
		got := titled(msgs, part)
		if len(got) == 0 {
			t.Errorf("no %q message", part)
		}
		for _, m := range got {
			if m.Flags != want {
				t.Errorf("%q message flags = %d, want %d", part, m.Flags, want)
			}
		}
	}

	// From a non-administrator it is refused.
	id2, _ := srv.InjectInteraction(discordtest.Interaction{GuildID: discordtest.DefaultGuildID, ChannelID: ch, UserID: "1000000000000000002",
		Permissions: 0, Command: "nexus", Subcommand: "test_reporting"})
	waitFor(t, 20*time.Second, "the refusal", func() bool { return len(srv.InteractionResponses(id2)) > 0 })
	if r := srv.InteractionResponses(id2)[0]; !strings.Contains(string(r.Body), "Only administrators") || !strings.Contains(string(r.Body), `"flags":64`) {
		t.Errorf("non-administrator answer = %s", r.Body)
	}

	// /nexus status answers with the same renderer, ephemeral.
	id3, _ := srv.InjectInteraction(discordtest.Interaction{GuildID: discordtest.DefaultGuildID, ChannelID: ch, UserID: "1000000000000000002",
		Permissions: discordgo.PermissionAdministrator, Command: "nexus", Subcommand: "status"})
	waitFor(t, 20*time.Second, "the status answer", func() bool { return len(srv.InteractionResponses(id3)) > 0 })
	st := srv.InteractionResponses(id3)[0]
	if !strings.Contains(string(st.PayloadJSON)+string(st.Body), "Detailed System Monitor") {
		t.Errorf("/nexus status answer = %s", st.Body)
	}
}

func TestAgent_testReportingShowsFailingChannel(t *testing.T) {
	srv := fakeDiscord(t)
	cfg := botConfig(t, srv)
	for _, r := range []*config.Report{&cfg.Reports.System, &cfg.Reports.Network, &cfg.Reports.Memory, &cfg.Reports.Commands, &cfg.Reports.Health} {
		r.Mode = "off"
	}
	cfg.Discord.SilentReports = false
	startAgent(t, cfg)
	ch := discordtest.DefaultChannelID
	waitFor(t, 20*time.Second, "the start notice", func() bool { return len(titled(srv.Messages(ch), "started")) == 1 })
	if m := titled(srv.Messages(ch), "started")[0]; m.Flags != 0 {
		t.Errorf("start notice flags = %d with silent_reports off, want 0", m.Flags)
	}
	waitFor(t, 20*time.Second, "command registration", func() bool { return len(srv.RegisteredCommands(discordtest.DefaultGuildID)) == 1 })

	srv.Script("POST /channels/{id}/messages", discordtest.Reply{Status: 403, Body: `{"code":50013,"message":"Missing Permissions"}`})
	id, _ := srv.InjectInteraction(discordtest.Interaction{GuildID: discordtest.DefaultGuildID, ChannelID: ch, UserID: "1000000000000000001",
		Permissions: discordgo.PermissionAdministrator, Command: "nexus", Subcommand: "test_reporting"})
	var body string
	waitFor(t, 60*time.Second, "the test_reporting follow-up", func() bool {
		for _, r := range srv.InteractionResponses(id) {
			if strings.HasPrefix(r.Route, "POST /webhooks/") {
				body = string(r.PayloadJSON) + string(r.Body)
				return true
			}
		}
		return false
	})
	if !strings.Contains(body, "4/5 passed") || !strings.Contains(body, "❌ Performance channel connectivity") {
		t.Errorf("checklist = %s", body)
	}
	if !strings.Contains(body, "Missing Permissions") && !strings.Contains(body, "403") {
		t.Errorf("the connectivity line does not say why: %s", body)
	}
}

func TestAgent_commandErrorsPingNobody(t *testing.T) {
	srv := fakeDiscord(t)
	cfg := botConfig(t, srv)
	for _, r := range []*config.Report{&cfg.Reports.System, &cfg.Reports.Network, &cfg.Reports.Memory, &cfg.Reports.Commands, &cfg.Reports.Health} {
		r.Mode = "off"
	}
	a, err := New(t.Context(), cfg, WithEnv(noEnv), WithStdout(&syncBuffer{}))
	if err != nil {
		t.Fatal(err)
	}
	def := func(name string) *discordgo.ApplicationCommand {
		return &discordgo.ApplicationCommand{Name: name, Description: "test command " + name}
	}
	err = a.Router().Add(bot.Module{Name: "fun", Commands: []bot.Command{
		{Definition: def("boom"), Handler: func(c *bot.Context) error {
			return errors.New("@everyone <@123> **boom** failed")
		}},
		{Definition: def("crash"), Handler: func(c *bot.Context) error { panic("kaboom") }},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopAgent(t, a) })
	ch := discordtest.DefaultChannelID
	waitFor(t, 20*time.Second, "command registration", func() bool { return len(srv.RegisteredCommands(discordtest.DefaultGuildID)) == 3 })

	srv.InjectInteraction(discordtest.Interaction{GuildID: discordtest.DefaultGuildID, ChannelID: ch, UserID: "1000000000000000001", Command: "boom"})
	srv.InjectInteraction(discordtest.Interaction{GuildID: discordtest.DefaultGuildID, ChannelID: ch, UserID: "1000000000000000001", Command: "crash"})
	waitFor(t, 30*time.Second, "two command_error messages", func() bool { return len(titled(srv.Messages(ch), "Command error")) == 2 })
	for _, m := range titled(srv.Messages(ch), "Command error") {
		if m.Flags != 0 {
			t.Errorf("command_error message flags = %d, want 0: errors notify", m.Flags)
		}
		if !m.NoMentions {
			t.Errorf("command_error message lacks an empty parse list: %s", m.AllowedMentions)
		}
		txt := embedText(m)
		if strings.Contains(txt, "@everyone") || strings.Contains(txt, "<@123>") {
			t.Errorf("command_error text carries a live mention: %s", txt)
		}
	}
	crash := titled(srv.Messages(ch), "/crash panicked")
	if len(crash) != 1 {
		t.Fatalf("no panic report for /crash: %v", titled(srv.Messages(ch), "Command error"))
	}
	var env struct {
		Data struct {
			Panic     bool   `json:"panic"`
			ErrorType string `json:"error_type"`
		} `json:"data"`
	}
	if err := json.Unmarshal(crash[0].Files[0].Data, &env); err != nil || !env.Data.Panic || env.Data.ErrorType != "panic" {
		t.Errorf("panic report data = %+v (%v)", env.Data, err)
	}
}
