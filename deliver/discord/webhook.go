package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/nexusmon/nexusmon/internal/discordapi"
	"github.com/nexusmon/nexusmon/render"
)

// WebhookOptions configure a WebhookSender. Zero values are usable.
type WebhookOptions struct {
	// HTTPClient sends the requests; nil means a client of the sender's own
	// with a 15 s timeout.
	HTTPClient *http.Client
	// Logger receives debug lines; nil discards them. It never sees the URL.
	Logger *slog.Logger
	// Now is the clock for rate-limit resets; nil means time.Now.
	Now func() time.Time
	// UserAgent overrides the User-Agent header.
	UserAgent string
}

// userAgent follows Discord's required form "DiscordBot ($url, $version)".
// https://discord.com/developers/docs/reference#user-agent
const userAgent = "DiscordBot (https://github.com/nexusmon/nexusmon, 1)"

// WebhookSender posts to a channel webhook through the REST client it
// shares with BotSender. The webhook URL is a secret: it never appears in
// its errors or logs. It is safe for concurrent use.
type WebhookSender struct {
	rest *restClient
	u    *url.URL // the webhook URL as given
	// Rate-limit bucket keys of the webhook's routes (the token is not
	// part of them).
	postKey, editKey string
}

var (
	_ Sender = (*WebhookSender)(nil)
	_ Pacer  = (*WebhookSender)(nil)
)

// NewWebhookSender returns a sender for webhookURL, used as given (any host,
// so it works through proxies and against a fake): posts go to
// webhookURL?wait=true, so Discord answers with the message and its id, and
// edits to webhookURL/messages/{id}. The URL must be http or https with a
// path ending in /webhooks/{id}/{token}. Errors never contain it.
func NewWebhookSender(webhookURL string, opts WebhookOptions) (*WebhookSender, error) {
	raw := strings.TrimSpace(webhookURL)
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("new webhook sender: the webhook URL does not parse")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("new webhook sender: the webhook URL must be http:// or https:// with a host")
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	n := len(segs)
	if n < 3 || segs[n-3] != "webhooks" || !discordapi.IsSnowflake(segs[n-2]) || segs[n-1] == "" {
		return nil, errors.New("new webhook sender: the webhook URL path must end in /webhooks/{id}/{token}")
	}
	token := segs[n-1]
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: defaultHTTPTimeout, Transport: newHTTPTransport()}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ua := opts.UserAgent
	if ua == "" {
		ua = userAgent
	}
	return &WebhookSender{
		rest:    &restClient{hc: hc, ua: ua, lim: newRateLimits(opts.Now), red: newRedactor(raw, u.String(), token), log: opts.Logger},
		u:       u,
		postKey: discordapi.BucketKey(http.MethodPost, u.Path),
		// Any snowflake stands for the message id: the key has {id} there.
		editKey: discordapi.BucketKey(http.MethodPatch, strings.TrimRight(u.Path, "/")+"/messages/"+segs[n-2]),
	}, nil
}

// Name returns "webhook".
func (w *WebhookSender) Name() string { return DestWebhook }

// Delay implements Pacer.
func (w *WebhookSender) Delay(edit bool) time.Duration {
	if edit {
		return w.rest.lim.delay(w.editKey)
	}
	return w.rest.lim.delay(w.postKey)
}

// CloseIdleConnections closes idle connections of the sender's client.
func (w *WebhookSender) CloseIdleConnections() { w.rest.closeIdleConnections() }

// webhookBody is payload_json of an execute or edit request.
type webhookBody struct {
	Content         *string                `json:"content,omitempty"`
	Embeds          []render.Embed         `json:"embeds"`
	AllowedMentions render.AllowedMentions `json:"allowed_mentions"`
	Flags           int                    `json:"flags,omitempty"`
	Attachments     *[]struct{}            `json:"attachments,omitempty"`
}

// Post implements Sender: POST {url}?wait=true.
func (w *WebhookSender) Post(ctx context.Context, p *render.Payload) (string, error) {
	u := *w.u
	q := u.Query()
	q.Set("wait", "true")
	u.RawQuery = q.Encode()
	body := webhookBody{Embeds: p.Embeds, AllowedMentions: render.NoMentions(), Flags: p.Flags}
	if p.Content != "" {
		body.Content = &p.Content
	}
	if body.Embeds == nil {
		body.Embeds = []render.Embed{}
	}
	ans, err := w.rest.do(ctx, restCall{op: "post message", method: http.MethodPost, url: u.String(), body: body, files: p.Files})
	if err != nil {
		return "", err
	}
	return w.rest.messageID("post message", ans), nil
}

// Edit implements Sender: PATCH {url}/messages/{id}, replacing the
// attachments with p's files. p.Flags is not sent (see BotSender.Edit).
func (w *WebhookSender) Edit(ctx context.Context, messageID string, p *render.Payload) error {
	if !discordapi.IsSnowflake(messageID) {
		return &SendError{Status: http.StatusNotFound, Code: codeUnknownMessage, Reason: ReasonNotFound, edit: true,
			Err: fmt.Errorf("edit message: message id %q is not a snowflake", sanitizeText(messageID, 40))}
	}
	u := *w.u
	u.Path = strings.TrimRight(u.Path, "/") + "/messages/" + messageID
	u.RawPath = ""
	content := p.Content
	none := []struct{}{}
	body := webhookBody{Content: &content, Embeds: p.Embeds, AllowedMentions: render.NoMentions(), Attachments: &none}
	if body.Embeds == nil {
		body.Embeds = []render.Embed{}
	}
	_, err := w.rest.do(ctx, restCall{op: "edit message", method: http.MethodPatch, url: u.String(), body: body, files: p.Files, edit: true})
	return err
}
