package deliver

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/deliver/discord"
	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/internal/discordtest"
	"github.com/nexusmon/nexusmon/internal/store"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

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

// dlvOpts are delivery options with test-sized waits.
func dlvOpts(log *slog.Logger) DeliveryOptions {
	return DeliveryOptions{BackoffBase: 5 * time.Millisecond, BackoffMax: 40 * time.Millisecond, Logger: log}
}

// dlvStore opens a store in a fresh directory, closed after the test.
func dlvStore(t testing.TB) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "nexusmon.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return st, path
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
func dlvBot(t testing.TB, srv *discordtest.Server, token string, log *slog.Logger) *discord.BotSender {
	t.Helper()
	b, err := discord.NewBotSender(token, discordtest.DefaultChannelID, srv.URL,
		discord.BotOptions{HTTPClient: &http.Client{Transport: dlvTransport(t), Timeout: 5 * time.Second}, Logger: log})
	if err != nil {
		t.Fatalf("NewBotSender: %v", err)
	}
	return b
}

// dlvWebhook returns a webhook sender for webhookURL.
func dlvWebhook(t testing.TB, webhookURL string, log *slog.Logger) *discord.WebhookSender {
	t.Helper()
	w, err := discord.NewWebhookSender(webhookURL, discord.WebhookOptions{HTTPClient: &http.Client{Transport: dlvTransport(t), Timeout: 5 * time.Second}, Logger: log})
	if err != nil {
		t.Fatalf("NewWebhookSender: %v", err)
	}
	return w
}

// dlvStart starts a Delivery and stops it after the test.
func dlvStart(t testing.TB, st *store.Store, s discord.Sender, opts DeliveryOptions) *Delivery {
	t.Helper()
	d, err := NewDelivery(st, s, opts)
	if err != nil {
		t.Fatalf("NewDelivery: %v", err)
	}
	d.Start(context.Background())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := d.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return d
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

func dlvEnqueue(t testing.TB, d *Delivery, m Outbound) {
	t.Helper()
	if err := d.Enqueue(context.Background(), m); err != nil {
		t.Fatalf("Enqueue %s: %v", m.Kind, err)
	}
}

func dlvFlush(t testing.TB, d *Delivery, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := d.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v (stats %+v)", err, d.Stats())
	}
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

// dlvLogBuffer is a log sink for several goroutines.
type dlvLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *dlvLogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *dlvLogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *dlvLogBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
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

func dlvReport(title string, at time.Time) *reportdata.Report {
	return &reportdata.Report{
		Event: reportdata.EventSystem, Time: at, Host: "web-1", Title: title, Emoji: "🖥️", Level: health.Good,
		Summary:  "All systems nominal",
		Sections: []reportdata.Section{{Name: "CPU", Fields: []reportdata.Field{{Name: "Usage", Value: "12.5%"}}}},
		Data:     map[string]any{"title": title},
	}
}
