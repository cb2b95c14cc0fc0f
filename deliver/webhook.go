package deliver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/nexusmon/nexusmon/internal/discordapi"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/report"
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

// WebhookSender posts to a channel webhook with plain net/http. The webhook
// URL is a secret: it never appears in its errors or logs. It is safe for
// concurrent use.
type WebhookSender struct {
	u   *url.URL // the webhook URL as given
	raw string
	hc  *http.Client
	ua  string
	lim *rateLimits
	// Rate-limit bucket keys of the webhook's routes (the token is not
	// part of them).
	postKey, editKey string
	red              redactor
	log              *slog.Logger
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
		u: u, raw: raw, hc: hc, ua: ua,
		lim:     newRateLimits(opts.Now),
		postKey: discordapi.BucketKey(http.MethodPost, u.Path),
		// Any snowflake stands for the message id: the key has {id} there.
		editKey: discordapi.BucketKey(http.MethodPatch, strings.TrimRight(u.Path, "/")+"/messages/"+segs[n-2]),
		red:     newRedactor(raw, u.String(), token),
		log:     opts.Logger,
	}, nil
}

// Name returns "webhook".
func (w *WebhookSender) Name() string { return DestWebhook }

// Delay implements Pacer.
func (w *WebhookSender) Delay(edit bool) time.Duration {
	if edit {
		return w.lim.delay(w.editKey)
	}
	return w.lim.delay(w.postKey)
}

// CloseIdleConnections closes idle connections of the sender's client.
func (w *WebhookSender) CloseIdleConnections() { w.hc.CloseIdleConnections() }

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
	ans, err := w.do(ctx, "post message", http.MethodPost, &u, w.postKey, body, p.Files, false)
	if err != nil {
		return "", err
	}
	var msg struct {
		ID string `json:"id"`
	}
	if len(ans) > 0 && json.Unmarshal(ans, &msg) != nil {
		w.log.Debug("discord answer unreadable", "op", "post message")
	}
	return msg.ID, nil
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
	_, err := w.do(ctx, "edit message", http.MethodPatch, &u, w.editKey, body, p.Files, true)
	return err
}

// do sends one request and returns the answer's body on 2xx.
func (w *WebhookSender) do(ctx context.Context, op, method string, u *url.URL, route string, body webhookBody, files []report.File, edit bool) ([]byte, error) {
	ct, data, err := encodeBody(body, files)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(data))
	if err != nil {
		return nil, transportError(op, u.String(), err, w.red)
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("User-Agent", w.ua)
	w.lim.take(route)
	resp, err := w.hc.Do(req)
	if err != nil {
		return nil, transportError(op, u.String(), err, w.red)
	}
	ans, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	// Best effort: the body was read or failed; the connection is done with.
	_ = resp.Body.Close()
	if err != nil && resp.StatusCode/100 != 2 {
		return nil, transportError(op, u.String(), err, w.red)
	}
	if resp.StatusCode/100 == 2 {
		w.lim.update(route, resp.StatusCode, resp.Header, 0, false)
		return ans, nil
	}
	se := classify(op, resp.StatusCode, resp.Header, ans, w.red)
	se.edit = edit
	w.lim.update(route, resp.StatusCode, resp.Header, se.RetryAfter, se.Global)
	return nil, se
}

// quoteEscaper escapes a file name for a quoted Content-Disposition value.
var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", "", "\n", "")

// encodeBody returns JSON, or multipart with payload_json and files[n]
// parts when there are files.
// https://discord.com/developers/docs/reference#uploading-files
func encodeBody(body webhookBody, files []report.File) (contentType string, data []byte, err error) {
	js, err := json.Marshal(body)
	if err != nil {
		return "", nil, fmt.Errorf("encode payload: %w", err)
	}
	if len(files) == 0 {
		return "application/json", js, nil
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="payload_json"`)
	h.Set("Content-Type", "application/json")
	pw, err := mw.CreatePart(h)
	if err == nil {
		_, err = pw.Write(js)
	}
	for i, f := range files {
		if err != nil {
			break
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="files[%d]"; filename="%s"`, i, quoteEscaper.Replace(f.Name)))
		ctype := f.ContentType
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		h.Set("Content-Type", ctype)
		if pw, err = mw.CreatePart(h); err == nil {
			_, err = pw.Write(f.Data)
		}
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return "", nil, fmt.Errorf("encode payload: %w", err)
	}
	return mw.FormDataContentType(), buf.Bytes(), nil
}
