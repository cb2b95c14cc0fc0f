package discord

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/nexusmon/nexusmon/internal/discordapi"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// defaultHTTPTimeout bounds one request, answer included.
const defaultHTTPTimeout = 15 * time.Second

// BotOptions configure a BotSender. Zero values are usable.
type BotOptions struct {
	// Session is a discordgo session to send with, e.g. the bot's own, so
	// that its REST rate limiter is shared. Only its token and rate limiter
	// are used: requests go through the sender's own HTTP client. Nil makes
	// a session of the sender's own (never opened: REST only).
	Session *discordgo.Session
	// HTTPClient supplies the base transport and the timeout. Its Transport
	// is wrapped with the api URL rewrite; nil means a transport of the
	// sender's own and a 15 s timeout.
	HTTPClient *http.Client
	// Logger receives debug lines; nil discards them. It never sees the
	// token.
	Logger *slog.Logger
	// Now is the clock for rate-limit resets; nil means time.Now.
	Now func() time.Time
}

// BotSender posts to one channel as a bot, through the REST client it
// shares with WebhookSender (one attempt per call: Delivery owns retries
// and waiting), with discordgo's message types as the wire format and the
// session's rate limiter locked as discordgo's own calls lock it. All of
// its traffic goes to the configured API base. It is safe for concurrent
// use.
type BotSender struct {
	rest      *restClient
	channelID string
	postKey   string // rate-limit bucket keys of the channel's routes
	editKey   string
}

var (
	_ Sender = (*BotSender)(nil)
	_ Pacer  = (*BotSender)(nil)
)

// NewBotSender returns a sender for channelID with the bot token (with or
// without its "Bot " prefix; it may be empty when opts.Session carries
// one). apiURL is the REST base ("" or https://discord.com for Discord
// itself; a proxy or a fake otherwise, see NewRewriteTransport). Errors
// never contain the token.
func NewBotSender(token, channelID, apiURL string, opts BotOptions) (*BotSender, error) {
	token = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(token), "Bot "))
	if !discordapi.IsSnowflake(channelID) {
		return nil, fmt.Errorf("new bot sender: channel id %q is not a snowflake", sanitizeText(channelID, 40))
	}
	s := opts.Session
	if s == nil {
		if token == "" {
			return nil, errors.New("new bot sender: empty bot token")
		}
		var err error
		if s, err = discordgo.New("Bot " + token); err != nil {
			return nil, errors.New("new bot sender: create discordgo session")
		}
	}
	sessTok := strings.TrimPrefix(s.Token, "Bot ")
	if sessTok == "" {
		return nil, errors.New("new bot sender: the session has no token")
	}
	var base http.RoundTripper
	timeout := defaultHTTPTimeout
	if opts.HTTPClient != nil {
		base = opts.HTTPClient.Transport
		if opts.HTTPClient.Timeout > 0 {
			timeout = opts.HTTPClient.Timeout
		}
	}
	if base == nil {
		base = newHTTPTransport()
	}
	rt, err := NewRewriteTransport(apiURL, base)
	if err != nil {
		return nil, fmt.Errorf("new bot sender: %w", err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &BotSender{
		rest: &restClient{
			hc:     &http.Client{Timeout: timeout, Transport: rt},
			auth:   "Bot " + sessTok,
			ua:     s.UserAgent,
			lim:    newRateLimits(opts.Now),
			red:    newRedactor(token, sessTok),
			log:    opts.Logger,
			shared: s.Ratelimiter,
		},
		channelID: channelID,
		postKey:   discordapi.BucketKey(http.MethodPost, "/channels/"+channelID+"/messages"),
		// Any snowflake stands for the message id: the key has {id} there.
		editKey: discordapi.BucketKey(http.MethodPatch, "/channels/"+channelID+"/messages/"+channelID),
	}, nil
}

// newHTTPTransport is a private transport per sender, so closing its idle
// connections touches nobody else's.
func newHTTPTransport() *http.Transport {
	tr, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return &http.Transport{Proxy: http.ProxyFromEnvironment}
	}
	return tr.Clone()
}

// Name returns "bot".
func (b *BotSender) Name() string { return DestBot }

// Delay implements Pacer.
func (b *BotSender) Delay(edit bool) time.Duration {
	if edit {
		return b.rest.lim.delay(b.editKey)
	}
	return b.rest.lim.delay(b.postKey)
}

// CloseIdleConnections closes idle connections of the sender's transport.
func (b *BotSender) CloseIdleConnections() { b.rest.closeIdleConnections() }

// Post implements Sender: POST /channels/{id}/messages with a
// discordgo.MessageSend (multipart when p has files), as discordgo's
// ChannelMessageSendComplex sends it.
func (b *BotSender) Post(ctx context.Context, p *render.Payload) (string, error) {
	data := &discordgo.MessageSend{
		Content:         p.Content,
		Embeds:          toEmbeds(p.Embeds),
		AllowedMentions: noMentionsDG(),
		Flags:           discordgo.MessageFlags(p.Flags),
	}
	endpoint := discordgo.EndpointChannelMessages(b.channelID)
	ans, err := b.rest.do(ctx, restCall{op: "post message", method: http.MethodPost, url: endpoint,
		body: data, files: p.Files, bucket: endpoint})
	if err != nil {
		return "", err
	}
	return b.rest.messageID("post message", ans), nil
}

// Edit implements Sender: PATCH /channels/{id}/messages/{id} with a
// discordgo.MessageEdit, as ChannelMessageEditComplex sends it. The
// message's attachments are replaced by p's files. p.Flags is not sent: an
// edit can only change SUPPRESS_EMBEDS, and the message keeps the flags it
// was posted with.
func (b *BotSender) Edit(ctx context.Context, messageID string, p *render.Payload) error {
	content := p.Content
	embeds := toEmbeds(p.Embeds)
	if embeds == nil {
		embeds = []*discordgo.MessageEmbed{}
	}
	keep := []*discordgo.MessageAttachment{} // empty, not nil: the old files go
	data := &discordgo.MessageEdit{
		ID:              messageID,
		Channel:         b.channelID,
		Content:         &content,
		Embeds:          &embeds,
		AllowedMentions: noMentionsDG(),
		Attachments:     &keep,
	}
	_, err := b.rest.do(ctx, restCall{op: "edit message", method: http.MethodPatch,
		url: discordgo.EndpointChannelMessage(b.channelID, messageID), body: data, files: p.Files, edit: true,
		bucket: discordgo.EndpointChannelMessage(b.channelID, "")})
	return err
}

// noMentionsDG is allowed_mentions with an explicit empty parse list: a nil
// slice would send "parse":null.
func noMentionsDG() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

func toEmbeds(es []render.Embed) []*discordgo.MessageEmbed {
	if len(es) == 0 {
		return nil
	}
	out := make([]*discordgo.MessageEmbed, len(es))
	for i, e := range es {
		m := &discordgo.MessageEmbed{
			Type:        discordgo.EmbedTypeRich,
			Title:       e.Title,
			Description: e.Description,
			Timestamp:   e.Timestamp,
			Color:       e.Color,
		}
		for _, f := range e.Fields {
			m.Fields = append(m.Fields, &discordgo.MessageEmbedField{Name: f.Name, Value: f.Value, Inline: f.Inline})
		}
		if e.Footer != nil {
			m.Footer = &discordgo.MessageEmbedFooter{Text: e.Footer.Text}
		}
		if e.Author != nil {
			m.Author = &discordgo.MessageEmbedAuthor{Name: e.Author.Name}
		}
		if e.Image != nil {
			m.Image = &discordgo.MessageEmbedImage{URL: e.Image.URL}
		}
		out[i] = m
	}
	return out
}

func toFiles(fs []reportdata.File) []*discordgo.File {
	if len(fs) == 0 {
		return nil
	}
	out := make([]*discordgo.File, len(fs))
	for i, f := range fs {
		out[i] = &discordgo.File{Name: f.Name, ContentType: f.ContentType, Reader: bytes.NewReader(f.Data)}
	}
	return out
}
