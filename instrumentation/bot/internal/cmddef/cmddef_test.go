package cmddef

import (
	"testing"

	"github.com/bwmarrin/discordgo"
)

func TestSame(t *testing.T) {
	t.Parallel()
	perm := int64(8)
	other := int64(16)
	f, tr := false, true
	base := func() *discordgo.ApplicationCommand {
		return &discordgo.ApplicationCommand{
			Name: "dice", Description: "Roll", DefaultMemberPermissions: &perm,
			Options: []*discordgo.ApplicationCommandOption{{
				Type: discordgo.ApplicationCommandOptionInteger, Name: "sides", Description: "Sides",
				Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "six", Value: 6}},
			}},
		}
	}
	// stored is base as Discord answers it: ids, version, defaults.
	stored := func(mod func(*discordgo.ApplicationCommand)) *discordgo.ApplicationCommand {
		c := base()
		c.ID, c.ApplicationID, c.Version, c.Type = "1300000000000000000", "1200000000000000000", "1300000000000000001", discordgo.ChatApplicationCommand
		//lint:ignore SA1019 Discord still answers with dm_permission
		c.NSFW, c.DMPermission = &f, &tr
		c.IntegrationTypes = &[]discordgo.ApplicationIntegrationType{discordgo.ApplicationIntegrationGuildInstall}
		c.Options[0].Choices[0].Value = 6.0 // a JSON number
		if mod != nil {
			mod(c)
		}
		return c
	}
	tests := map[string]struct {
		def  func(*discordgo.ApplicationCommand)
		got  func(*discordgo.ApplicationCommand)
		same bool
	}{
		"as stored":           {same: true},
		"description":         {got: func(c *discordgo.ApplicationCommand) { c.Description = "Roll!" }},
		"permissions":         {got: func(c *discordgo.ApplicationCommand) { c.DefaultMemberPermissions = &other }},
		"permissions removed": {def: func(c *discordgo.ApplicationCommand) { c.DefaultMemberPermissions = nil }},
		"option required":     {def: func(c *discordgo.ApplicationCommand) { c.Options[0].Required = true }},
		"choice value":        {got: func(c *discordgo.ApplicationCommand) { c.Options[0].Choices[0].Value = 7.0 }},
		"option added":        {def: func(c *discordgo.ApplicationCommand) { c.Options = append(c.Options, c.Options[0]) }},
		"nsfw asked for":      {def: func(c *discordgo.ApplicationCommand) { c.NSFW = &tr }},
		//lint:ignore SA1019 Discord still answers with dm_permission
		"dm permission as stored": {def: func(c *discordgo.ApplicationCommand) { c.DMPermission = &tr }, same: true},
		"localized name": {def: func(c *discordgo.ApplicationCommand) {
			c.NameLocalizations = &map[discordgo.Locale]string{discordgo.German: "würfel"}
		}},
		"empty localizations": {def: func(c *discordgo.ApplicationCommand) { c.NameLocalizations = &map[discordgo.Locale]string{} }, same: true},
	}
	for name, tc := range tests {
		def := base()
		if tc.def != nil {
			tc.def(def)
		}
		if got := Same(def, stored(tc.got)); got != tc.same {
			t.Errorf("%s: Same = %v, want %v", name, got, tc.same)
		}
	}
}
