package discord

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nexusmon/nexusmon/render"
)

// TestBotSender_UnreadableAnswerIsDelivered: a 2xx answer whose body breaks
// off means Discord took the message; the sender reports success (no id)
// rather than a retryable error that would post it twice. The webhook
// sender has always done so.
func TestBotSender_UnreadableAnswerIsDelivered(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"id":"11`)) // then the connection ends short of Content-Length
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close()
			}
		}
	}))
	t.Cleanup(srv.Close)
	b, err := NewBotSender("tok.en.value", "1100000000000000010", srv.URL, BotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := render.Payload{Content: "x", AllowedMentions: render.NoMentions()}
	if id, err := b.Post(context.Background(), &p); err != nil || id != "" {
		t.Fatalf("Post = %q, %v; want success without an id", id, err)
	}
}

// TestBotSender_TransportErrorNamesRequest: an error without an answer names
// the request (Discord's URL for the channel, which holds no secret), never
// the token.
func TestBotSender_TransportErrorNamesRequest(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens there any more: the connection is refused
	const token = "tok.en.value"
	b, err := NewBotSender(token, "1100000000000000010", base, BotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := render.Payload{Content: "x", AllowedMentions: render.NoMentions()}
	_, err = b.Post(context.Background(), &p)
	if err == nil || !strings.Contains(err.Error(), `Post "https://discord.com/api/v9/channels/1100000000000000010/messages"`) || strings.Contains(err.Error(), token) {
		t.Fatalf("Post = %v; want a transport error naming the request, without the token", err)
	}
}
