package discord

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/internal/discordtest"
)

func TestNewBotSender_Invalid(t *testing.T) {
	t.Parallel()
	const tok = "SECRET-token-value"
	tests := []struct {
		name, token, channel, api string
	}{
		{"empty token", "", discordtest.DefaultChannelID, ""},
		{"bad channel", tok, "general", ""},
		{"channel id too short for a snowflake", tok, "12345", ""}, // config rejects it too (discordapi.IsSnowflake)
		{"bad api url", tok, discordtest.DefaultChannelID, "ftp://proxy"},
	}
	for _, tc := range tests {
		_, err := NewBotSender(tc.token, tc.channel, tc.api, BotOptions{})
		if err == nil {
			t.Errorf("%s: NewBotSender succeeded", tc.name)
			continue
		}
		if strings.Contains(err.Error(), tok) {
			t.Errorf("%s: error %q contains the token", tc.name, err)
		}
	}
}

func TestBotSender_WireFormat(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, dlvFastLimits()...)
	b := dlvBot(t, srv, "Bot "+srv.Token(), nil) // the prefix is accepted too
	ctx := context.Background()

	p := dlvPayload("wire", "data.json")
	p.Content = "hello @everyone"
	id, err := b.Post(ctx, &p)
	if err != nil || id == "" {
		t.Fatalf("Post = %q, %v", id, err)
	}
	post := srv.WaitFor(t, time.Second, func(r discordtest.Request) bool { return r.Route == dlvChannelPost })
	var body struct {
		Content         string          `json:"content"`
		AllowedMentions json.RawMessage `json:"allowed_mentions"`
	}
	if err := json.Unmarshal(post.PayloadJSON, &body); err != nil {
		t.Fatalf("payload_json: %v", err)
	}
	if !strings.HasPrefix(post.Header.Get("Content-Type"), "multipart/form-data") || len(post.Files) != 1 || post.Files[0].Name != "data.json" {
		t.Errorf("post: content type %q, files %+v; want multipart with data.json", post.Header.Get("Content-Type"), post.Files)
	}
	if !strings.Contains(string(body.AllowedMentions), `"parse":[]`) {
		t.Errorf("allowed_mentions = %s, want an explicit empty parse list", body.AllowedMentions)
	}

	// An edit replaces the files.
	q := dlvPayload("wire 2", "other.json")
	if err := b.Edit(ctx, id, &q); err != nil {
		t.Fatalf("Edit: %v", err)
	}
	edit := srv.WaitFor(t, time.Second, func(r discordtest.Request) bool { return r.Route == dlvChannelEdit })
	var eb map[string]json.RawMessage
	if err := json.Unmarshal(edit.PayloadJSON, &eb); err != nil {
		t.Fatal(err)
	}
	if string(eb["attachments"]) != "[]" || !strings.Contains(string(eb["allowed_mentions"]), `"parse":[]`) {
		t.Errorf("edit body attachments %s, allowed_mentions %s; want [] and parse []", eb["attachments"], eb["allowed_mentions"])
	}
	msgs := srv.Messages(discordtest.DefaultChannelID)
	if len(msgs) != 1 || len(msgs[0].Files) != 1 || msgs[0].Files[0].Name != "other.json" || msgs[0].Content != "" {
		t.Errorf("after edit: %+v, want one message with only other.json and no content", msgs)
	}

	// JSON without files.
	r := dlvPayload("json", "")
	if _, err := b.Post(ctx, &r); err != nil {
		t.Fatal(err)
	}
	last := srv.Requests()[len(srv.Requests())-1]
	if ct := last.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("post without files: Content-Type %q, want application/json", ct)
	}
}

func TestBotSender_OneAttemptOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		reply      discordtest.Reply
		reason     string
		retryAfter time.Duration
	}{
		// discordgo would retry these itself: a 429 forever, a 502 three times.
		{"429", discordtest.Reply{Status: 429, RetryAfter: 0.25}, ReasonRateLimited, 250 * time.Millisecond},
		{"502", discordtest.Reply{Status: 502}, ReasonServer, 0},
		{"500", discordtest.Reply{Status: 500}, ReasonServer, 0},
		{"reset", discordtest.Reply{Reset: true}, ReasonTransport, 0},
		{"cloudflare 429", discordtest.Reply{Status: 429, RetryAfter: 2, Body: "<html>banned</html>"}, ReasonRateLimited, 2 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := discordtest.New(t, dlvFastLimits()...)
			srv.Script(dlvChannelPost, tc.reply)
			b := dlvBot(t, srv, srv.Token(), nil)
			p := dlvPayload("x", "")
			_, err := b.Post(context.Background(), &p)
			var se *SendError
			if !errors.As(err, &se) || !se.Retryable || se.Reason != tc.reason || se.RetryAfter != tc.retryAfter {
				t.Fatalf("Post = %#v, want a retryable %s error with retry after %v", err, tc.reason, tc.retryAfter)
			}
			if n := dlvCount(srv, dlvChannelPost, -1); n != 1 {
				t.Errorf("requests = %d, want exactly 1 (no retry inside the sender)", n)
			}
		})
	}
}

func TestBotSender_EditUnknownMessage(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, dlvFastLimits()...)
	b := dlvBot(t, srv, srv.Token(), nil)
	p := dlvPayload("x", "")
	err := b.Edit(context.Background(), "1300000000000000000", &p)
	if !IsUnknownMessage(err) {
		t.Fatalf("Edit of a missing message = %v, want IsUnknownMessage", err)
	}
	var se *SendError
	if !errors.As(err, &se) || se.Status != http.StatusNotFound || se.Code != 10008 || se.Retryable {
		t.Errorf("Edit error = %+v, want permanent 404 10008", se)
	}
}

func TestBotSender_ContextCancelled(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, dlvFastLimits()...)
	srv.Script(dlvChannelPost, discordtest.Reply{Delay: 5 * time.Second})
	b := dlvBot(t, srv, srv.Token(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	p := dlvPayload("x", "")
	_, err := b.Post(ctx, &p)
	var se *SendError
	if !errors.As(err, &se) || se.Reason != ReasonTransport || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Post with an expiring context = %v, want a transport error wrapping the deadline", err)
	}
}

func TestBotSender_PacesOnHeaders(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, discordtest.WithLimit(dlvChannelPost, discordtest.RouteLimit{Limit: 2, Window: 10 * time.Second}))
	b := dlvBot(t, srv, srv.Token(), nil)
	p := dlvPayload("x", "")
	for i := range 2 {
		if d := b.Delay(false); d != 0 {
			t.Fatalf("post %d: Delay = %v, want 0 while the bucket has room", i, d)
		}
		if _, err := b.Post(context.Background(), &p); err != nil {
			t.Fatal(err)
		}
	}
	if d := b.Delay(false); d < 9*time.Second || d > 11*time.Second {
		t.Errorf("after the bucket is spent: Delay = %v, want about the 10s window", d)
	}
	if d := b.Delay(true); d != 0 {
		t.Errorf("edit route Delay = %v, want 0 (its own bucket)", d)
	}
}

func TestBotSender_SharedSession(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, dlvFastLimits()...)
	sess := srv.NewSession(t) // the bot's own session, never opened here
	b, err := NewBotSender("", discordtest.DefaultChannelID, srv.URL,
		BotOptions{Session: sess, HTTPClient: &http.Client{Transport: dlvTransport(t)}})
	if err != nil {
		t.Fatalf("NewBotSender with a session: %v", err)
	}
	p := dlvPayload("via session", "")
	if _, err := b.Post(context.Background(), &p); err != nil {
		t.Fatalf("Post: %v", err)
	}
	if got := dlvTitles(srv.Messages(discordtest.DefaultChannelID)); len(got) != 1 || got[0] != "via session" {
		t.Errorf("messages = %q", got)
	}
}
