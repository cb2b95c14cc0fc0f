package discordtest

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// rewrite sends every request to the fake, whatever host the URL names
// (discordgo builds https://discord.com/api/v9/... URLs). The path is kept,
// so discordgo's rate-limit bucket keys are unchanged.
type rewrite struct {
	target *url.URL
	base   http.RoundTripper
}

func (r rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host, req.Host = r.target.Scheme, r.target.Host, r.target.Host
	return r.base.RoundTrip(req)
}

// Transport returns a RoundTripper that sends every request, whatever its
// host, to the fake. Its idle connections are closed with the server.
func (s *Server) Transport() http.RoundTripper {
	return rewrite{target: s.target, base: s.tr}
}

// NewSession returns a discordgo session for the fake's bot token: its HTTP
// client rewrites every https://discord.com request to the fake, its gateway
// URL comes from the fake's GET /gateway, Identify.Intents is IntentGuilds
// and it has a dialer of its own. The session is not opened.
//
// t.Cleanup waits for a reconnect in progress to finish, sets
// ShouldReconnectOnError to false and closes the session (discordgo sleeps
// 1 s in Close). Never call HeartbeatLatency on it under -race.
func (s *Server) NewSession(t testing.TB) *discordgo.Session {
	t.Helper()
	dg, err := discordgo.New("Bot " + s.opts.BotToken)
	if err != nil {
		t.Fatalf("discordgo.New: %v", err)
	}
	tr := newTransport()
	dg.Client = &http.Client{Timeout: 10 * time.Second, Transport: rewrite{target: s.target, base: tr}}
	dg.Dialer = &websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	dg.Identify.Intents = discordgo.IntentGuilds

	var st connState
	dg.AddHandler(func(*discordgo.Session, *discordgo.Connect) { st.event(true) })
	dg.AddHandler(func(*discordgo.Session, *discordgo.Disconnect) { st.event(false) })
	t.Cleanup(func() {
		st.settle()
		// discordgo reads this field without a lock when it reconnects;
		// settle made sure no reconnect is pending. The write is under the
		// session's lock, which the heartbeat and listen goroutines take
		// (Close) just before they read it, so a failure they meet after
		// this point reads it in order.
		dg.Lock()
		dg.ShouldReconnectOnError = false
		dg.Unlock()
		if err := dg.Close(); err != nil {
			t.Errorf("close discordgo session: %v", err)
		}
		tr.CloseIdleConnections()
	})
	return dg
}

// connState follows discordgo's Connect and Disconnect events, so cleanup can
// wait until a reconnect triggered by a test has finished. discordgo reads
// ShouldReconnectOnError before it reconnects, and each successful reconnect
// emits Connect: once Connect catches up, that read happened before.
type connState struct {
	mu          sync.Mutex
	connects    int
	disconnects int
	lastDisc    time.Time
}

func (c *connState) event(connect bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if connect {
		c.connects++
		return
	}
	c.disconnects++
	c.lastDisc = time.Now()
}

// settle waits until the session is connected, was never opened, or has been
// disconnected for longer than a reconnect takes to begin (at most 10 s).
func (c *connState) settle() {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		conn, disc, last := c.connects, c.disconnects, c.lastDisc
		c.mu.Unlock()
		if conn == 0 || conn > disc || (conn <= disc && time.Since(last) > 1500*time.Millisecond) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
