package bot

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/nexusmon/nexusmon/internal/discordtest"
)

// memLedger is a CommandLedger in memory.
type memLedger struct {
	mu      sync.Mutex
	keys    map[string][]CommandKey
	readErr error
}

func (l *memLedger) Registered(_ context.Context, scope string) ([]CommandKey, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.readErr != nil {
		return nil, l.readErr
	}
	return slices.Clone(l.keys[scope]), nil
}

func (l *memLedger) SetRegistered(_ context.Context, scope string, keys []CommandKey) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.keys == nil {
		l.keys = map[string][]CommandKey{}
	}
	l.keys[scope] = slices.Clone(keys)
	return nil
}

func (l *memLedger) get(scope string) []CommandKey {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.keys[scope])
}

// routerWith returns a Router holding one module of defs.
func routerWith(t *testing.T, defs ...*discordgo.ApplicationCommand) *Router {
	t.Helper()
	r := NewRouter(nil)
	m := Module{Name: "monitor"}
	for _, d := range defs {
		c := Command{Definition: d, Handler: ok}
		m.Commands = append(m.Commands, c)
	}
	if err := r.Add(m); err != nil {
		t.Fatal(err)
	}
	return r
}

// nexusDef is a definition shaped like the agent's /nexus.
func nexusDef(desc string) *discordgo.ApplicationCommand {
	perm := int64(discordgo.PermissionAdministrator)
	d := chat("nexus", "status", "health")
	d.Description, d.DefaultMemberPermissions = desc, &perm
	return d
}

// writes returns the command writes (POST, PATCH, PUT, DELETE) the fake
// received after the first skip requests.
func writes(srv *discordtest.Server, skip int) []string {
	var out []string
	for _, r := range srv.Requests()[skip:] {
		if r.Method != "GET" && strings.Contains(r.Route, "/commands") {
			out = append(out, r.Route)
		}
	}
	return out
}

// byName indexes commands by name; user and message commands get a "user
// " or "message " prefix, since their names may repeat a chat command's.
func byName(cmds []map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, c := range cmds {
		out[cmdName(c)] = c
	}
	return out
}

func cmdName(c map[string]any) string {
	switch c["type"] {
	case 2.0:
		return "user " + c["name"].(string)
	case 3.0:
		return "message " + c["name"].(string)
	}
	return c["name"].(string)
}

// TestRouter_Register: the bot's own global and guild commands are still
// there, unchanged, after the Router registered beside them, changed its
// commands and dropped one.
func TestRouter_Register(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t)
	s := srv.NewSession(t)
	app, guild := srv.AppID, discordtest.DefaultGuildID
	ctx := context.Background()

	// The bot's own commands, registered by the bot.
	for _, c := range []struct {
		guild string
		def   *discordgo.ApplicationCommand
	}{
		{"", chat("play")},
		{"", &discordgo.ApplicationCommand{Name: "Add to queue", Type: discordgo.MessageApplicationCommand}},
		{guild, chat("purge")},
		{guild, &discordgo.ApplicationCommand{Name: "status", Type: discordgo.UserApplicationCommand}},
	} {
		if _, err := s.ApplicationCommandCreate(app, c.guild, c.def); err != nil {
			t.Fatal(err)
		}
	}
	botGlobal, botGuild := srv.RegisteredCommands(""), srv.RegisteredCommands(guild)
	checkBot := func(step string) {
		t.Helper()
		if got := srv.RegisteredCommands(""); !reflect.DeepEqual(got, botGlobal) {
			t.Errorf("%s: global commands changed:\n got %v\nwant %v", step, got, botGlobal)
		}
		got := byName(srv.RegisteredCommands(guild))
		for _, c := range botGuild {
			if !reflect.DeepEqual(got[cmdName(c)], c) {
				t.Errorf("%s: the bot's guild command %s changed: %v", step, cmdName(c), got[cmdName(c)])
			}
		}
	}
	ledger := &memLedger{}
	scope := app + "/" + guild

	// First start: /nexus and /roll are created beside the bot's commands.
	// The chat command "status" does not clash with the bot's user command
	// "status".
	r1 := routerWith(t, nexusDef("nexusmon"), chat("roll"), chat("status"))
	if err := r1.Register(ctx, s, app, guild, ledger); err != nil {
		t.Fatal(err)
	}
	checkBot("first start")
	got := byName(srv.RegisteredCommands(guild))
	if len(got) != 5 || got["nexus"] == nil || got["roll"] == nil || got["nexus"]["default_member_permissions"] != "8" {
		t.Fatalf("guild commands = %v", srv.RegisteredCommands(guild))
	}
	chatKey := func(n string) CommandKey { return CommandKey{Type: discordgo.ChatApplicationCommand, Name: n} }
	if k := ledger.get(scope); !reflect.DeepEqual(k, []CommandKey{chatKey("nexus"), chatKey("roll"), chatKey("status")}) {
		t.Errorf("ledger = %v", k)
	}
	nexusID, nexusVersion := got["nexus"]["id"], got["nexus"]["version"]

	// Same commands again: one read, no write.
	before := len(srv.Requests())
	if err := routerWith(t, nexusDef("nexusmon"), chat("roll"), chat("status")).Register(ctx, s, app, guild, ledger); err != nil {
		t.Fatal(err)
	}
	if w := writes(srv, before); len(w) != 0 {
		t.Errorf("unchanged commands written: %v", w)
	}

	// /nexus changes, /roll and /status are gone: /nexus is updated in
	// place, the two are deleted, the bot's commands stay.
	before = len(srv.Requests())
	if err := routerWith(t, nexusDef("nexusmon performance monitor")).Register(ctx, s, app, guild, ledger); err != nil {
		t.Fatal(err)
	}
	w := writes(srv, before)
	slices.Sort(w)
	want := []string{"DELETE /applications/{id}/guilds/{id}/commands/{id}", "DELETE /applications/{id}/guilds/{id}/commands/{id}", "POST /applications/{id}/guilds/{id}/commands"}
	if !reflect.DeepEqual(w, want) {
		t.Errorf("writes = %v, want %v", w, want)
	}
	checkBot("after the change")
	got = byName(srv.RegisteredCommands(guild))
	if len(srv.RegisteredCommands(guild)) != 3 || got["nexus"]["id"] != nexusID || got["nexus"]["version"] == nexusVersion ||
		got["nexus"]["description"] != "nexusmon performance monitor" || got["roll"] != nil {
		t.Errorf("guild commands = %v", srv.RegisteredCommands(guild))
	}
	if k := ledger.get(scope); !reflect.DeepEqual(k, []CommandKey{chatKey("nexus")}) {
		t.Errorf("ledger = %v", k)
	}

	// Globally, without a ledger: created beside the bot's, nothing deleted.
	if err := routerWith(t, nexusDef("nexusmon")).Register(ctx, s, app, "", nil); err != nil {
		t.Fatal(err)
	}
	if g := byName(srv.RegisteredCommands("")); len(g) != 3 || g["nexus"] == nil || g["play"] == nil || g["message Add to queue"] == nil {
		t.Errorf("global commands = %v", srv.RegisteredCommands(""))
	}
	if len(ledger.get(app)) != 0 {
		t.Error("a nil ledger was written")
	}
}

func TestRouter_RegisterErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	app, guild := discordtest.DefaultAppID, discordtest.DefaultGuildID
	scope := app + "/" + guild

	t.Run("arguments", func(t *testing.T) {
		t.Parallel()
		r := NewRouter(nil)
		if err := r.Register(ctx, nil, app, "", nil); err == nil {
			t.Error("nil session accepted")
		}
		s, err := discordgo.New("Bot x")
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Register(ctx, s, "", "", nil); err == nil {
			t.Error("empty application id accepted")
		}
	})
	t.Run("list refused", func(t *testing.T) {
		t.Parallel()
		srv := discordtest.New(t)
		srv.Script("GET /applications/{id}/guilds/{id}/commands", discordtest.Reply{Status: 403, Body: `{"code":50001,"message":"Missing Access"}`})
		err := routerWith(t, chat("roll")).Register(ctx, srv.NewSession(t), app, guild, &memLedger{})
		if err == nil || ErrorType(err) != "discord.50001" || strings.Contains(err.Error(), srv.Token()) {
			t.Errorf("Register = %v (type %q)", err, ErrorType(err))
		}
		if w := writes(srv, 0); len(w) != 0 {
			t.Errorf("wrote after a failed read: %v", w)
		}
	})
	t.Run("create refused", func(t *testing.T) {
		t.Parallel()
		srv := discordtest.New(t)
		srv.Script("POST /applications/{id}/guilds/{id}/commands", discordtest.Reply{Status: 400, Body: `{"code":50035,"message":"Invalid Form Body"}`})
		ledger := &memLedger{}
		err := routerWith(t, chat("roll"), chat("dice")).Register(ctx, srv.NewSession(t), app, guild, ledger)
		if err == nil || ErrorType(err) != "discord.50035" || !strings.Contains(err.Error(), "roll") || strings.Contains(err.Error(), srv.Token()) {
			t.Errorf("Register = %v (type %q)", err, ErrorType(err))
		}
		if cmds := srv.RegisteredCommands(guild); len(cmds) != 1 || cmds[0]["name"] != "dice" {
			t.Errorf("commands = %v: the other one must still be created", cmds)
		}
	})
	t.Run("ledger unreadable", func(t *testing.T) {
		t.Parallel()
		srv := discordtest.New(t)
		s := srv.NewSession(t)
		ledger := &memLedger{}
		if err := routerWith(t, chat("roll"), chat("dice")).Register(ctx, s, app, guild, ledger); err != nil {
			t.Fatal(err)
		}
		ledger.readErr = errors.New("disk on fire")
		err := routerWith(t, chat("roll")).Register(ctx, s, app, guild, ledger)
		if err == nil || !strings.Contains(err.Error(), "disk on fire") {
			t.Errorf("Register = %v", err)
		}
		if n := len(srv.RegisteredCommands(guild)); n != 2 {
			t.Errorf("%d commands: nothing may be deleted without the ledger", n)
		}
		ledger.readErr = nil
		if k := ledger.get(scope); len(k) != 2 {
			t.Errorf("ledger overwritten: %v", k)
		}
	})
	t.Run("delete refused", func(t *testing.T) {
		t.Parallel()
		srv := discordtest.New(t)
		s := srv.NewSession(t)
		ledger := &memLedger{}
		if err := routerWith(t, chat("roll"), chat("dice")).Register(ctx, s, app, guild, ledger); err != nil {
			t.Fatal(err)
		}
		srv.Script("DELETE /applications/{id}/guilds/{id}/commands/{id}", discordtest.Reply{Status: 500})
		if err := routerWith(t, chat("roll")).Register(ctx, s, app, guild, ledger); err == nil {
			t.Error("a refused delete was not reported")
		}
		// Still recorded, so the next start deletes it.
		if k := ledger.get(scope); len(k) != 2 {
			t.Errorf("ledger = %v, want dice kept for a retry", k)
		}
		if err := routerWith(t, chat("roll")).Register(ctx, s, app, guild, ledger); err != nil {
			t.Fatal(err)
		}
		if cmds := srv.RegisteredCommands(guild); len(cmds) != 1 || cmds[0]["name"] != "roll" {
			t.Errorf("commands = %v", cmds)
		}
	})
}
