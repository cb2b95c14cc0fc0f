package discord

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/nexusmon/nexusmon/internal/discordapi"
	"github.com/nexusmon/nexusmon/internal/discordtest"
)

// TestSenders_FlagsOnCreateOnly: a post carries the payload's flags; an
// edit sends none, since Discord lets an edit change SUPPRESS_EMBEDS only
// and the message keeps the flags it was created with.
func TestSenders_FlagsOnCreateOnly(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, dlvFastLimits()...)
	_, _, hookURL := srv.CreateWebhook(discordtest.DefaultChannel2ID)
	for name, s := range map[string]struct {
		sender  Sender
		channel string
		edit    string // route key of the edit
	}{
		"bot":     {dlvBot(t, srv, srv.Token(), nil), discordtest.DefaultChannelID, dlvChannelEdit},
		"webhook": {dlvWebhook(t, hookURL, nil), discordtest.DefaultChannel2ID, dlvWebhookEdit},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			p := dlvPayload(name, "data.json")
			p.Flags = discordapi.FlagSuppressNotifications
			id, err := s.sender.Post(ctx, &p)
			if err != nil {
				t.Fatal(err)
			}
			q := dlvPayload(name+" edited", "")
			q.Flags = discordapi.FlagSuppressNotifications
			if err := s.sender.Edit(ctx, id, &q); err != nil {
				t.Fatal(err)
			}
			var msg *discordtest.Message
			for _, m := range srv.Messages(s.channel) {
				if m.ID == id {
					msg = &m
				}
			}
			if msg == nil || msg.Flags != discordapi.FlagSuppressNotifications || msg.Embeds[0]["title"] != name+" edited" {
				t.Fatalf("message after post and edit = %+v", msg)
			}
			for _, r := range srv.Requests() {
				if r.Route != s.edit || r.Status != http.StatusOK {
					continue
				}
				var body map[string]any
				if err := json.Unmarshal(r.PayloadJSON, &body); err != nil {
					t.Fatal(err)
				}
				if f, ok := body["flags"]; ok {
					t.Errorf("edit sent flags %v", f)
				}
			}
		})
	}
}
