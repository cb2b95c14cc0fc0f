package discord

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/internal/discordtest"
)

func TestNewWebhookSender_Invalid(t *testing.T) {
	t.Parallel()
	const secret = "tOkEn-SECRET"
	for _, u := range []string{
		"",
		"discord.com/api/webhooks/1/" + secret,
		"ftp://discord.com/api/webhooks/1/" + secret,
		"https://discord.com/api/channels/1/" + secret,
		"https://discord.com/api/webhooks/notanid/" + secret,
		"https://discord.com/api/webhooks/1/",
		"https://disc ord.com/api/webhooks/1/" + secret,
	} {
		_, err := NewWebhookSender(u, WebhookOptions{})
		if err == nil {
			t.Errorf("NewWebhookSender(%q) succeeded", u)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q contains the webhook token", err)
		}
	}
	if _, err := NewWebhookSender("https://discord.com/api/webhooks/1300000000000000001/"+secret, WebhookOptions{}); err != nil {
		t.Errorf("valid URL: %v", err)
	}
}

func TestWebhookSender_WireFormat(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, dlvFastLimits()...)
	hookID, _, hookURL := srv.CreateWebhook(discordtest.DefaultChannelID)
	w := dlvWebhook(t, hookURL, nil)
	ctx := context.Background()

	p := dlvPayload("hook", `we"ird\name.json`)
	p.Content = "ping <@123>"
	id, err := w.Post(ctx, &p)
	if err != nil || id == "" {
		t.Fatalf("Post = %q, %v", id, err)
	}
	post := srv.WaitFor(t, time.Second, func(r discordtest.Request) bool { return r.Route == dlvWebhookPost })
	if post.Query != "wait=true" || !strings.HasPrefix(post.Header.Get("User-Agent"), "DiscordBot (") {
		t.Errorf("post query %q, user agent %q; want wait=true and a DiscordBot agent", post.Query, post.Header.Get("User-Agent"))
	}
	if len(post.Files) != 1 || post.Files[0].Name != `we"ird\name.json` {
		t.Errorf("files = %+v, want the file name intact", post.Files)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(post.PayloadJSON, &body); err != nil {
		t.Fatal(err)
	}
	if _, ok := body["files"]; ok {
		t.Error("payload_json carries the files")
	}
	if string(body["allowed_mentions"]) != `{"parse":[]}` {
		t.Errorf("allowed_mentions = %s, want {\"parse\":[]}", body["allowed_mentions"])
	}

	q := dlvPayload("hook 2", "")
	if err := w.Edit(ctx, id, &q); err != nil {
		t.Fatalf("Edit: %v", err)
	}
	msgs := srv.Messages(discordtest.DefaultChannelID)
	if len(msgs) != 1 || msgs[0].WebhookID != hookID || len(msgs[0].Files) != 0 || msgs[0].Content != "" {
		t.Fatalf("after edit: %+v, want the webhook's message without files or content", msgs)
	}
	if got := dlvTitles(msgs); got[0] != "hook 2" {
		t.Errorf("title = %q, want hook 2", got[0])
	}

	srv.DeleteMessage(discordtest.DefaultChannelID, id)
	if err := w.Edit(ctx, id, &q); !IsUnknownMessage(err) {
		t.Errorf("Edit of a deleted message = %v, want IsUnknownMessage", err)
	}
	if err := w.Edit(ctx, "not-an-id", &q); !IsUnknownMessage(err) {
		t.Errorf("Edit of a malformed id = %v, want IsUnknownMessage (post anew)", err)
	}
}

func TestWebhookSender_PacesOnHeaders(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, discordtest.WithLimit(dlvWebhookPost, discordtest.RouteLimit{Limit: 2, Window: 10 * time.Second}))
	_, _, hookURL := srv.CreateWebhook(discordtest.DefaultChannelID)
	w := dlvWebhook(t, hookURL, nil)
	p := dlvPayload("x", "")
	for i := range 2 {
		if d := w.Delay(false); d != 0 {
			t.Fatalf("post %d: Delay = %v, want 0 while the bucket has room", i, d)
		}
		if _, err := w.Post(context.Background(), &p); err != nil {
			t.Fatal(err)
		}
	}
	if d := w.Delay(false); d < 9*time.Second || d > 11*time.Second {
		t.Errorf("after the bucket is spent: Delay = %v, want about the 10s window", d)
	}
	if d := w.Delay(true); d != 0 {
		t.Errorf("edit route Delay = %v, want 0 (its own bucket)", d)
	}
}

func TestWebhookSender_Classify(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, dlvFastLimits()...)
	_, tok, hookURL := srv.CreateWebhook(discordtest.DefaultChannelID)
	srv.Script(dlvWebhookPost, discordtest.Reply{Status: 429, RetryAfter: 0.5, Global: true}, discordtest.Reply{Status: 503})
	w := dlvWebhook(t, hookURL, nil)
	p := dlvPayload("x", "")

	_, err := w.Post(context.Background(), &p)
	var se *SendError
	if !errors.As(err, &se) || se.Reason != ReasonRateLimited || !se.Global || se.RetryAfter != 500*time.Millisecond {
		t.Fatalf("global 429 = %+v", err)
	}
	if d := w.Delay(true); d <= 0 {
		t.Errorf("after a global 429 Delay(edit) = %v, want a wait", d)
	}
	_, err = w.Post(context.Background(), &p)
	if !errors.As(err, &se) || se.Reason != ReasonServer || !se.Retryable {
		t.Fatalf("503 = %+v", err)
	}
	if strings.Contains(err.Error(), tok) || strings.Contains(err.Error(), hookURL) {
		t.Errorf("error %q leaks the webhook", err)
	}
}
