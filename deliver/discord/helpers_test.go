package discord

import (
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/internal/discordtest"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// Helpers of the senders' tests: copies of deliver's test helpers, which
// other packages' tests cannot import.

// Message routes of the fake, for Script and WithLimit.
const (
	dlvChannelPost = "POST /channels/{id}/messages"
	dlvChannelEdit = "PATCH /channels/{id}/messages/{id}"
	dlvWebhookPost = "POST /webhooks/{id}/{token}"
	dlvWebhookEdit = "PATCH /webhooks/{id}/{token}/messages/{id}"
)

// dlvFastLimits raises the fake's message limits so that tests not about rate
// limits are not slowed by Discord's 5 per 5 s.
func dlvFastLimits() []discordtest.Option {
	l := discordtest.RouteLimit{Limit: 1000, Window: time.Second}
	return []discordtest.Option{
		discordtest.WithLimit(dlvChannelPost, l), discordtest.WithLimit(dlvChannelEdit, l),
		discordtest.WithLimit(dlvWebhookPost, l), discordtest.WithLimit(dlvWebhookEdit, l),
	}
}

// dlvTransport is a private HTTP transport whose connections are closed
// after the test.
func dlvTransport(t testing.TB) *http.Transport {
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// dlvBot returns a bot sender for the fake's default channel, sending
// through NewRewriteTransport to srv.URL.
func dlvBot(t testing.TB, srv *discordtest.Server, token string, log *slog.Logger) *BotSender {
	t.Helper()
	b, err := NewBotSender(token, discordtest.DefaultChannelID, srv.URL,
		BotOptions{HTTPClient: &http.Client{Transport: dlvTransport(t), Timeout: 5 * time.Second}, Logger: log})
	if err != nil {
		t.Fatalf("NewBotSender: %v", err)
	}
	return b
}

// dlvWebhook returns a webhook sender for webhookURL.
func dlvWebhook(t testing.TB, webhookURL string, log *slog.Logger) *WebhookSender {
	t.Helper()
	w, err := NewWebhookSender(webhookURL, WebhookOptions{HTTPClient: &http.Client{Transport: dlvTransport(t), Timeout: 5 * time.Second}, Logger: log})
	if err != nil {
		t.Fatalf("NewWebhookSender: %v", err)
	}
	return w
}

// dlvPayload is a one-embed message titled title; with file it carries a
// file of that name (payloads with the same file name never merge).
func dlvPayload(title, file string) render.Payload {
	p := render.Payload{
		Content:         "",
		Embeds:          []render.Embed{{Title: title, Description: "report " + title, Footer: &render.EmbedFooter{Text: "nexusmon · test"}}},
		AllowedMentions: render.NoMentions(),
	}
	if file != "" {
		p.Files = []reportdata.File{{Name: file, ContentType: "application/json", Data: []byte(`{"title":"` + title + `"}`)}}
	}
	return p
}

// dlvTitles lists the embed titles of msgs in order, across messages.
func dlvTitles(msgs []discordtest.Message) []string {
	var out []string
	for _, m := range msgs {
		for _, e := range m.Embeds {
			s, _ := e["title"].(string) // a missing title reads as ""
			out = append(out, s)
		}
	}
	return out
}

// dlvCount counts the fake's requests to route with status (any status
// when status is -1).
func dlvCount(srv *discordtest.Server, route string, status int) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Route == route && (status < 0 || r.Status == status) {
			n++
		}
	}
	return n
}
