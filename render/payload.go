package render

import (
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// Payload is one Discord message as nexusmon sends it: the JSON body of
// "create message" / "execute webhook" / "edit message" plus its files. It is
// what the outbox persists (Files included) and what senders convert to the
// wire format (multipart when Files is not empty). Field names and JSON tags
// follow Discord's API (docs: https://discord.com/developers/docs/resources/message).
type Payload struct {
	Content         string            `json:"content,omitempty"`
	Embeds          []Embed           `json:"embeds,omitempty"`
	AllowedMentions AllowedMentions   `json:"allowed_mentions"`
	Flags           int               `json:"flags,omitempty"` // discordapi.Flag* bits; senders send them on create only
	Files           []reportdata.File `json:"files,omitempty"` // not part of payload_json: sent as files[n] parts
}

// AllowedMentions must be sent on every message with an explicit empty Parse
// list (`"parse":[]`), so nothing in a report can ping anyone. NoMentions
// returns that value.
type AllowedMentions struct {
	Parse []string `json:"parse"`
}

// NoMentions returns allowed_mentions with an empty, non-nil parse list.
func NoMentions() AllowedMentions { return AllowedMentions{Parse: []string{}} }

// Embed is a Discord rich embed.
type Embed struct {
	Title       string       `json:"title,omitempty"`
	Description string       `json:"description,omitempty"`
	Timestamp   string       `json:"timestamp,omitempty"` // RFC 3339
	Color       int          `json:"color,omitempty"`
	Fields      []EmbedField `json:"fields,omitempty"`
	Footer      *EmbedFooter `json:"footer,omitempty"`
	Author      *EmbedAuthor `json:"author,omitempty"`
	Image       *EmbedImage  `json:"image,omitempty"`
}

// EmbedField is one embed field; Name and Value are both required by Discord.
type EmbedField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline,omitempty"`
}

// EmbedFooter is an embed footer.
type EmbedFooter struct {
	Text string `json:"text"`
}

// EmbedAuthor is an embed author.
type EmbedAuthor struct {
	Name string `json:"name"`
}

// EmbedImage references an image, usually "attachment://<file name>".
type EmbedImage struct {
	URL string `json:"url"`
}
