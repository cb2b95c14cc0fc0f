package discordtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// openSession opens a session and waits until READY and every GUILD_CREATE
// were handled. Handlers copy what they check under the State lock:
// discordgo mutates the guilds it hands out in place.
func openSession(t *testing.T, s *Server) *discordgo.Session {
	t.Helper()
	dg := s.NewSession(t)
	type readyInfo struct {
		user, session, app string
		guilds             int
	}
	type guildInfo struct {
		id, chanGuild  string
		members, chans int
		joined         time.Time
	}
	ready := make(chan readyInfo, 4)
	guilds := make(chan guildInfo, 4)
	rm1 := dg.AddHandler(func(dg *discordgo.Session, r *discordgo.Ready) {
		dg.State.RLock()
		defer dg.State.RUnlock()
		ready <- readyInfo{r.User.ID, r.SessionID, r.Application.ID, len(r.Guilds)}
	})
	rm2 := dg.AddHandler(func(dg *discordgo.Session, g *discordgo.GuildCreate) {
		dg.State.RLock()
		defer dg.State.RUnlock()
		gi := guildInfo{id: g.ID, members: g.MemberCount, chans: len(g.Channels), joined: g.JoinedAt}
		if len(g.Channels) > 0 {
			gi.chanGuild = g.Channels[0].GuildID
		}
		guilds <- gi
	})
	if err := dg.Open(); err != nil {
		t.Fatalf("open: %v", err)
	}
	r := waitCh(t, ready, "READY")
	if r.user != s.BotID || r.session == "" || r.app != s.AppID || r.guilds != 1 {
		t.Errorf("ready = %+v", r)
	}
	g := waitCh(t, guilds, "GUILD_CREATE")
	if g.id != DefaultGuildID || g.members != 42 || g.chans != 2 || g.chanGuild != DefaultGuildID || g.joined.IsZero() {
		t.Errorf("guild create = %+v", g)
	}
	rm1()
	rm2()
	return dg
}

func restErr(t *testing.T, err error, status, code int) *discordgo.RESTError {
	t.Helper()
	var re *discordgo.RESTError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v (%T), want *discordgo.RESTError", err, err)
	}
	if re.Response.StatusCode != status || re.Message == nil || re.Message.Code != code {
		t.Fatalf("REST error %d %s, want %d code %d", re.Response.StatusCode, re.ResponseBody, status, code)
	}
	return re
}

func TestSession_REST(t *testing.T) {
	t.Parallel()
	s := New(t, WithLimit("POST /channels/{id}/messages", RouteLimit{Limit: 5, Window: 300 * time.Millisecond}))
	dg := openSession(t, s)

	// State is filled from GUILD_CREATE.
	dg.State.RLock()
	g, err := dg.State.Guild(DefaultGuildID)
	if err != nil {
		dg.State.RUnlock()
		t.Fatal(err)
	}
	members, channels := g.MemberCount, len(g.Channels)
	dg.State.RUnlock()
	if members != 42 || channels != 2 {
		t.Errorf("state: members %d channels %d", members, channels)
	}

	t.Run("send complex with embed and file", func(t *testing.T) {
		m, err := dg.ChannelMessageSendComplex(DefaultChannelID, &discordgo.MessageSend{
			Content: "report",
			Embeds: []*discordgo.MessageEmbed{{
				Title: "CPU high", Description: "load 9", Color: 0xff0000,
				Image:  &discordgo.MessageEmbedImage{URL: "attachment://graph.png"},
				Fields: []*discordgo.MessageEmbedField{{Name: "host", Value: "a", Inline: true}},
			}},
			Files:           []*discordgo.File{{Name: "graph.png", ContentType: "image/png", Reader: bytes.NewReader([]byte("PNGDATA"))}},
			AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if m.ID == "" || m.ChannelID != DefaultChannelID || len(m.Attachments) != 1 || m.Timestamp.IsZero() {
			t.Errorf("message = %+v", m)
		}
		req := s.WaitFor(t, time.Second, func(r Request) bool { return r.Route == "POST /channels/{id}/messages" && r.Status == 200 })
		var p map[string]any
		if err := json.Unmarshal(req.PayloadJSON, &p); err != nil {
			t.Fatalf("payload_json: %v", err)
		}
		if p["content"] != "report" || !strings.Contains(string(req.PayloadJSON), `"parse":[]`) {
			t.Errorf("payload_json = %s", req.PayloadJSON)
		}
		if len(req.Files) != 1 || req.Files[0].Name != "graph.png" || req.Files[0].ContentType != "image/png" || string(req.Files[0].Data) != "PNGDATA" {
			t.Errorf("files = %+v", req.Files)
		}
		if !strings.HasPrefix(req.Header.Get("Content-Type"), "multipart/form-data") || !strings.HasPrefix(req.Path, "/api/v9/") {
			t.Errorf("request = %s %s", req.Header.Get("Content-Type"), req.Path)
		}
		got := s.Messages(DefaultChannelID)
		if len(got) != 1 || !got[0].NoMentions || got[0].Embeds[0]["title"] != "CPU high" {
			t.Errorf("stored = %+v", got)
		}
	})

	t.Run("invalid payloads", func(t *testing.T) {
		_, err := dg.ChannelMessageSend(DefaultChannelID, strings.Repeat("x", 2001))
		re := restErr(t, err, 400, 50035)
		if !strings.Contains(string(re.ResponseBody), `"content"`) {
			t.Errorf("body = %s", re.ResponseBody)
		}
		_, err = dg.ChannelMessageSendEmbeds(DefaultChannelID, []*discordgo.MessageEmbed{
			{Description: strings.Repeat("a", 4000)}, {Description: strings.Repeat("b", 2000), Title: "c"},
		})
		re = restErr(t, err, 400, 50035)
		if !strings.Contains(string(re.ResponseBody), "MAX_EMBED_SIZE_EXCEEDED") {
			t.Errorf("body = %s", re.ResponseBody)
		}
	})

	t.Run("edit and delete", func(t *testing.T) {
		m, err := dg.ChannelMessageSend(DefaultChannel2ID, "v1")
		if err != nil {
			t.Fatal(err)
		}
		content := "v2"
		e, err := dg.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: m.ID, Channel: m.ChannelID, Content: &content})
		if err != nil {
			t.Fatal(err)
		}
		if e.Content != "v2" || e.EditedTimestamp == nil {
			t.Errorf("edited = %+v", e)
		}
		if err := dg.ChannelMessageDelete(m.ChannelID, m.ID); err != nil {
			t.Fatal(err)
		}
		_, err = dg.ChannelMessageEdit(m.ChannelID, m.ID, "v3")
		restErr(t, err, 404, 10008)
		if got := s.Messages(DefaultChannel2ID); len(got) != 0 {
			t.Errorf("messages after delete = %+v", got)
		}
	})

	t.Run("webhook with and without wait", func(t *testing.T) {
		id, token, _ := s.CreateWebhook(DefaultChannel2ID)
		m, err := dg.WebhookExecute(id, token, false, &discordgo.WebhookParams{Content: "no wait"})
		if err != nil || m != nil {
			t.Errorf("no wait: %v %v", m, err)
		}
		m, err = dg.WebhookExecute(id, token, true, &discordgo.WebhookParams{Content: "wait"})
		if err != nil || m == nil || m.WebhookID != id {
			t.Fatalf("wait: %+v %v", m, err)
		}
		if _, err := dg.WebhookMessageEdit(id, token, m.ID, &discordgo.WebhookEdit{Content: ptr("edited")}); err != nil {
			t.Fatal(err)
		}
		got := s.Messages(DefaultChannel2ID)
		if len(got) != 2 || got[0].Content != "no wait" || got[1].Content != "edited" {
			t.Errorf("messages = %+v", got)
		}
		_, err = dg.WebhookExecute(id, "wrong", true, &discordgo.WebhookParams{Content: "x"})
		restErr(t, err, 404, 10015)
	})

	t.Run("rate limit is honoured from headers", func(t *testing.T) {
		before := len(s.Messages(DefaultChannelID))
		for i := 0; i < 6; i++ {
			if _, err := dg.ChannelMessageSend(DefaultChannelID, "burst"); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(s.Messages(DefaultChannelID)) - before; n != 6 {
			t.Errorf("sent %d, want 6", n)
		}
		// discordgo read Remaining and Reset-After and waited instead of
		// running into a 429.
		if s.RateLimited() != 0 {
			t.Errorf("RateLimited = %d, want 0", s.RateLimited())
		}
	})

	t.Run("scripted 429 is retried", func(t *testing.T) {
		limited := make(chan *discordgo.RateLimit, 1)
		rm := dg.AddHandler(func(_ *discordgo.Session, r *discordgo.RateLimit) { limited <- r })
		defer rm()
		s.Script("POST /channels/{id}/messages", Reply{Status: 429, RetryAfter: 0.05})
		if _, err := dg.ChannelMessageSend(DefaultChannel2ID, "after 429"); err != nil {
			t.Fatal(err)
		}
		r := waitCh(t, limited, "RateLimit event")
		if r.RetryAfter != 50*time.Millisecond {
			t.Errorf("retry after = %v", r.RetryAfter)
		}
	})

	t.Run("script 500 then OK", func(t *testing.T) {
		s.Script("POST /channels/{id}/messages", Reply{Status: 500}, Reply{})
		_, err := dg.ChannelMessageSend(DefaultChannel2ID, "x")
		restErr(t, err, 500, 0)
		if _, err := dg.ChannelMessageSend(DefaultChannel2ID, "y"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("connection reset", func(t *testing.T) {
		s.SetOutage(-1)
		_, err := dg.ChannelMessageSend(DefaultChannel2ID, "x")
		s.SetOutage(0)
		var re *discordgo.RESTError
		if err == nil || errors.As(err, &re) {
			t.Fatalf("err = %v, want a transport error", err)
		}
		if _, err := dg.ChannelMessageSend(DefaultChannel2ID, "y"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("commands", func(t *testing.T) {
		perm := int64(discordgo.PermissionAdministrator)
		cmds, err := dg.ApplicationCommandBulkOverwrite(s.AppID, DefaultGuildID, []*discordgo.ApplicationCommand{{
			Name: "nexus", Description: "Nexus", DefaultMemberPermissions: &perm,
			Options: []*discordgo.ApplicationCommandOption{{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "test_reporting", Description: "Send test reports"}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if len(cmds) != 1 || cmds[0].ID == "" || cmds[0].ApplicationID != s.AppID {
			t.Errorf("cmds = %+v", cmds)
		}
		reg := s.RegisteredCommands(DefaultGuildID)
		if len(reg) != 1 || reg[0]["default_member_permissions"] != "8" {
			t.Errorf("registered = %v", reg)
		}
	})

	t.Run("bad token", func(t *testing.T) {
		_, err := dg.ChannelMessageSend(DefaultChannelID, "x", discordgo.WithHeader("Authorization", "Bot wrong"))
		restErr(t, err, 401, 0)
	})
}

func ptr[T any](v T) *T { return &v }

func TestSession_BadTokenGateway(t *testing.T) {
	t.Parallel()
	s := New(t)
	dg := s.NewSession(t)
	dg.Identify.Token = "Bot wrong"
	err := dg.Open()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4004 {
		t.Fatalf("open: %v, want close 4004", err)
	}
	if s.Identifies() != 0 {
		t.Errorf("Identifies = %d", s.Identifies())
	}
}

func TestSession_Gateway(t *testing.T) {
	t.Parallel()
	s := New(t)
	dg := openSession(t, s)
	resumed := make(chan struct{}, 4)
	readies := make(chan struct{}, 4)
	disconnects := make(chan struct{}, 8)
	created := make(chan string, 4)
	dg.AddHandler(func(*discordgo.Session, *discordgo.Resumed) { resumed <- struct{}{} })
	dg.AddHandler(func(*discordgo.Session, *discordgo.Ready) { readies <- struct{}{} })
	dg.AddHandler(func(*discordgo.Session, *discordgo.Disconnect) { disconnects <- struct{}{} })
	dg.AddHandler(func(_ *discordgo.Session, c *discordgo.ChannelCreate) { created <- c.ID })

	t.Run("dispatch", func(t *testing.T) {
		s.Dispatch("CHANNEL_CREATE", map[string]any{"id": "1100000000000000020", "type": 0, "name": "live", "guild_id": DefaultGuildID})
		if id := waitCh(t, created, "CHANNEL_CREATE"); id != "1100000000000000020" {
			t.Errorf("channel = %s", id)
		}
	})

	t.Run("drop then resume with replay", func(t *testing.T) {
		s.DropAll()
		// Dispatched while the client is away: RESUME must replay it.
		s.Dispatch("CHANNEL_CREATE", map[string]any{"id": "1100000000000000021", "type": 0, "name": "missed", "guild_id": DefaultGuildID})
		waitCh(t, resumed, "RESUMED")
		if id := waitCh(t, created, "replayed CHANNEL_CREATE"); id != "1100000000000000021" {
			t.Errorf("replayed channel = %s", id)
		}
		if s.Resumes() != 1 || s.Identifies() != 1 || s.Connections() != 2 {
			t.Errorf("resumes %d identifies %d connections %d", s.Resumes(), s.Identifies(), s.Connections())
		}
	})

	t.Run("op 7 reconnect", func(t *testing.T) {
		s.Reconnect()
		waitCh(t, resumed, "RESUMED after op 7")
		if s.Resumes() != 2 || s.Identifies() != 1 {
			t.Errorf("resumes %d identifies %d", s.Resumes(), s.Identifies())
		}
	})

	t.Run("op 9 not resumable", func(t *testing.T) {
		s.InvalidateSession(false)
		waitCh(t, readies, "READY after op 9")
		if s.Identifies() != 2 {
			t.Errorf("identifies %d", s.Identifies())
		}
	})

	t.Run("close 4014", func(t *testing.T) {
		for len(disconnects) > 0 {
			<-disconnects
		}
		s.CloseAll(4014)
		waitCh(t, disconnects, "Disconnect after 4014")
		// discordgo reconnects on every close code; wait for it so the
		// session is settled.
		waitCh(t, resumed, "RESUMED after 4014")
		waitUntil(t, "one open connection", func() bool { return s.OpenConnections() == 1 })
	})
}

func TestSession_Zombie(t *testing.T) {
	t.Parallel()
	s := New(t, WithHeartbeatInterval(50*time.Millisecond))
	dg := openSession(t, s)
	readies := make(chan struct{}, 4)
	disconnects := make(chan struct{}, 8)
	dg.AddHandler(func(*discordgo.Session, *discordgo.Ready) { readies <- struct{}{} })
	dg.AddHandler(func(*discordgo.Session, *discordgo.Disconnect) { disconnects <- struct{}{} })
	s.StopAcking(true)
	waitCh(t, disconnects, "Disconnect of the zombie connection")
	s.StopAcking(false)
	// discordgo closed with 1000, which ends the gateway session: its RESUME
	// gets op 9 and it identifies again.
	waitCh(t, readies, "READY after zombie reconnect")
	if s.Identifies() != 2 || s.Resumes() != 0 {
		t.Errorf("identifies %d resumes %d", s.Identifies(), s.Resumes())
	}
}

func TestSession_Interaction(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := New(t, WithClock(clk.now))
	dg := openSession(t, s)
	got := make(chan *discordgo.InteractionCreate, 4)
	dg.AddHandler(func(_ *discordgo.Session, i *discordgo.InteractionCreate) { got <- i })

	id, token := s.InjectInteraction(Interaction{GuildID: DefaultGuildID, Permissions: 8, Subcommand: "test_reporting", Options: map[string]any{"count": 3}})
	i := waitCh(t, got, "INTERACTION_CREATE")
	if i.ID != id || i.Token != token || i.AppID != s.AppID || i.Type != discordgo.InteractionApplicationCommand {
		t.Fatalf("interaction = %+v", i.Interaction)
	}
	data := i.ApplicationCommandData()
	if data.Name != "nexus" || len(data.Options) != 1 || data.Options[0].Name != "test_reporting" ||
		data.Options[0].Type != discordgo.ApplicationCommandOptionSubCommand || data.Options[0].Options[0].IntValue() != 3 {
		t.Errorf("data = %+v", data)
	}
	if i.Member == nil || i.Member.Permissions != 8 || i.GuildID != DefaultGuildID || i.ChannelID != DefaultChannelID {
		t.Errorf("member = %+v", i.Member)
	}

	if err := dg.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}); err != nil {
		t.Fatal(err)
	}
	err := dg.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
	restErr(t, err, 400, 40060)
	if _, err := dg.InteractionResponseEdit(i.Interaction, &discordgo.WebhookEdit{Content: ptr("done")}); err != nil {
		t.Fatal(err)
	}
	f, err := dg.FollowupMessageCreate(i.Interaction, true, &discordgo.WebhookParams{Content: "follow"})
	if err != nil {
		t.Fatal(err)
	}
	resps := s.InteractionResponses(id)
	if len(resps) != 4 || resps[0].Status != 204 || resps[1].Status != 400 || resps[2].Status != 200 || resps[3].Status != 200 ||
		!strings.Contains(resps[3].Path, "/webhooks/"+s.AppID+"/") {
		t.Errorf("responses = %+v", resps)
	}
	msgs := s.Messages(DefaultChannelID)
	if len(msgs) != 2 || msgs[0].Content != "done" || msgs[1].ID != f.ID || msgs[1].WebhookID != s.AppID {
		t.Errorf("messages = %+v", msgs)
	}
	if len(msgs) > 0 && msgs[0].Flags&(1<<7) != 0 {
		t.Errorf("edited deferred response still LOADING: flags %d", msgs[0].Flags)
	}

	// A callback after the 3 s deadline is refused.
	s.InjectInteraction(Interaction{GuildID: DefaultGuildID, Subcommand: "status"})
	late := waitCh(t, got, "second INTERACTION_CREATE")
	clk.advance(3*time.Second + time.Millisecond)
	err = dg.InteractionRespond(late.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: "late"}})
	restErr(t, err, 404, 10062)

	// The first interaction's token expires after 15 minutes.
	clk.advance(15 * time.Minute)
	_, err = dg.FollowupMessageCreate(i.Interaction, true, &discordgo.WebhookParams{Content: "too late"})
	restErr(t, err, 401, 50027)

	// A DM interaction carries a user, not a member.
	s.InjectInteraction(Interaction{UserID: "1000000000000000002", ChannelID: "1300000000000000000", Command: "nexus", Subcommand: "health"})
	dm := waitCh(t, got, "DM INTERACTION_CREATE")
	if dm.Member != nil || dm.User == nil || dm.User.ID != "1000000000000000002" || dm.GuildID != "" {
		t.Errorf("dm = %+v", dm.Interaction)
	}
	if err := dg.InteractionRespond(dm.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: "ephemeral", Flags: discordgo.MessageFlagsEphemeral}}); err != nil {
		t.Fatal(err)
	}
	if got := s.Messages("1300000000000000000"); len(got) != 0 {
		t.Errorf("ephemeral message is visible: %+v", got)
	}
}
