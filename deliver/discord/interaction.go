package discord

import (
	"github.com/nexusmon/nexusmon/render"
)
import "github.com/bwmarrin/discordgo"

// InteractionData converts p into an interaction response (type 4) body,
// with allowed_mentions' explicit empty parse list and p's files.
func InteractionData(p *render.Payload) *discordgo.InteractionResponseData {
	return &discordgo.InteractionResponseData{
		Content:         p.Content,
		Embeds:          toEmbeds(p.Embeds),
		AllowedMentions: noMentionsDG(),
		Files:           toFiles(p.Files),
		Flags:           discordgo.MessageFlags(p.Flags),
	}
}

// WebhookParams converts p into an interaction follow-up body.
func WebhookParams(p *render.Payload) *discordgo.WebhookParams {
	return &discordgo.WebhookParams{
		Content:         p.Content,
		Embeds:          toEmbeds(p.Embeds),
		AllowedMentions: noMentionsDG(),
		Files:           toFiles(p.Files),
		Flags:           discordgo.MessageFlags(p.Flags),
	}
}
