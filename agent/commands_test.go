package agent

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/internal/discordtest"
)

// botCommands registers commands of the bot's own (not nexusmon's) through
// the fake's REST API, as the bot would, and returns what Discord stores.
func botCommands(t *testing.T, srv *discordtest.Server, guildID string, cmds ...*discordgo.ApplicationCommand) []map[string]any {
	t.Helper()
	s := srv.NewSession(t)
	for _, c := range cmds {
		if _, err := s.ApplicationCommandCreate(srv.AppID, guildID, c); err != nil {
			t.Fatalf("create %s: %v", c.Name, err)
		}
	}
	return srv.RegisteredCommands(guildID)
}

// without returns cmds without the ones named name.
func without(cmds []map[string]any, name string) []map[string]any {
	var out []map[string]any
	for _, c := range cmds {
		if c["name"] != name {
			out = append(out, c)
		}
	}
	return out
}

// TestAgent_registersBesideTheBotsCommands: an operator runs nexusmon with
// the token of a bot that has global and guild commands of its own; they
// are all still there, unchanged (same ids and versions), beside /nexus,
// and a restart writes nothing.
func TestAgent_registersBesideTheBotsCommands(t *testing.T) {
	srv := fakeDiscord(t)
	perm := int64(discordgo.PermissionManageMessages)
	global := botCommands(t, srv, "",
		&discordgo.ApplicationCommand{Name: "play", Description: "Play a song", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "query", Description: "What to play", Required: true},
		}},
		&discordgo.ApplicationCommand{Name: "Add to queue", Type: discordgo.MessageApplicationCommand},
	)
	guild := botCommands(t, srv, discordtest.DefaultGuildID,
		&discordgo.ApplicationCommand{Name: "purge", Description: "Delete messages", DefaultMemberPermissions: &perm},
		&discordgo.ApplicationCommand{Name: "Report user", Type: discordgo.UserApplicationCommand},
	)

	cfg := botConfig(t, srv)
	for _, r := range []*config.Report{&cfg.Reports.System, &cfg.Reports.Network, &cfg.Reports.Memory, &cfg.Reports.Commands, &cfg.Reports.Health} {
		r.Mode = "off"
	}
	a, _ := startAgent(t, cfg)
	waitFor(t, 20*time.Second, "/nexus registered", func() bool { return len(srv.RegisteredCommands(discordtest.DefaultGuildID)) == 3 })
	if got := without(srv.RegisteredCommands(discordtest.DefaultGuildID), "nexus"); !reflect.DeepEqual(got, guild) {
		t.Errorf("the bot's guild commands changed:\n got %v\nwant %v", got, guild)
	}
	if got := srv.RegisteredCommands(""); !reflect.DeepEqual(got, global) {
		t.Errorf("the bot's global commands changed:\n got %v\nwant %v", got, global)
	}
	nexus := srv.RegisteredCommands(discordtest.DefaultGuildID)[2]
	if nexus["name"] != "nexus" || nexus["default_member_permissions"] != "8" {
		t.Errorf("/nexus = %v", nexus)
	}

	// A restart with the same commands writes nothing.
	stopAgent(t, a)
	before := len(srv.Requests())
	a2, _ := startAgent(t, cfg)
	waitFor(t, 20*time.Second, "the second registration's read", func() bool {
		for _, r := range srv.Requests()[before:] {
			if r.Route == "GET /applications/{id}/guilds/{id}/commands" {
				return true
			}
		}
		return false
	})
	stopAgent(t, a2) // waits for the registration to finish
	for _, r := range srv.Requests()[before:] {
		if r.Method != "GET" && strings.Contains(r.Route, " /applications/") {
			t.Errorf("restart wrote %s", r.Route)
		}
	}
	if got := srv.RegisteredCommands(discordtest.DefaultGuildID); len(got) != 3 || got[2]["version"] != nexus["version"] {
		t.Errorf("after restart: %v", got)
	}
}
