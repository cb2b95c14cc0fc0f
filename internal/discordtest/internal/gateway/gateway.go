package gateway

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// maxReplay bounds the frames kept per gateway session for RESUME.
const maxReplay = 4096

const writeTimeout = 5 * time.Second

// State is what the gateway needs from the fake's state to open a session.
// Its methods are called with the gateway's lock held and must not call
// back into the Gateway.
type State interface {
	// Ready returns the fields of READY that describe the bot: "user",
	// "guilds" and "application". The gateway adds the session's fields.
	Ready() map[string]any
	// GuildCreates returns the d of each GUILD_CREATE sent after READY, in
	// order.
	GuildCreates() []map[string]any
}

// Config configures a Gateway.
type Config struct {
	// Token is the valid bot token, without "Bot ".
	Token string
	// HeartbeatInterval is sent in HELLO.
	HeartbeatInterval time.Duration
	// URL is the gateway's own URL, sent as READY's resume_gateway_url.
	URL string
	// State supplies READY and GUILD_CREATE.
	State State
}

// Gateway is the fake's gateway. All methods are safe for concurrent use.
type Gateway struct {
	cfg Config
	wg  sync.WaitGroup // connection goroutines

	stopAcking atomic.Bool
	holdHello  atomic.Bool
	heartbeats atomic.Int64 // heartbeats acknowledged

	mu          sync.Mutex
	closed      bool
	conns       map[*conn]struct{}
	sessions    map[string]*session
	connections int
	identifies  int
	resumes     int
}

// New returns a gateway that serves connections until Close.
func New(cfg Config) *Gateway {
	return &Gateway{cfg: cfg, conns: map[*conn]struct{}{}, sessions: map[string]*session{}}
}

// Close ends every connection and waits for their goroutines. Connections
// that arrive later are closed at once.
func (g *Gateway) Close() {
	g.mu.Lock()
	g.closed = true
	for c := range g.conns {
		c.closeNow()
	}
	g.mu.Unlock()
	g.wg.Wait()
}

// conn is one websocket connection. Fields other than ws and wmu are
// guarded by Gateway.mu.
type conn struct {
	ws         *websocket.Conn
	wmu        sync.Mutex // gorilla allows one concurrent writer
	sess       *session
	identified bool
	closed     bool     // the server ended it: later client close codes are ignored
	z          *zstream // zlib-stream compression, nil for text frames; guarded by wmu
}

// session is a gateway session (session_id) that can outlive connections.
// Guarded by Gateway.mu.
type session struct {
	id      string
	seq     int64
	replay  []frame
	conn    *conn
	invalid bool
}

type frame struct {
	seq  int64
	data []byte
}

func (c *conn) write(b []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	// Errors mean the connection is gone; its reader goroutine cleans up.
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	if c.z != nil {
		_ = c.ws.WriteMessage(websocket.BinaryMessage, c.z.frame(b))
		return
	}
	_ = c.ws.WriteMessage(websocket.TextMessage, b)
}

func (c *conn) closeNow() {
	_ = c.ws.Close() // best effort: the peer sees the TCP connection end
}

// closeWith sends a close frame with code, then ends the TCP connection.
func (c *conn) closeWith(code int, reason string) {
	// WriteControl is safe alongside other writers.
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(writeTimeout))
	c.closeNow()
}

var upgrader = websocket.Upgrader{
	CheckOrigin: func(*http.Request) bool { return true },
}

// ServeHTTP upgrades r to a gateway connection and serves it until it ends.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade already answered the client
	}
	c := &conn{ws: ws, z: newZstream(r)}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		c.closeNow()
		return
	}
	g.wg.Add(1)
	defer g.wg.Done()
	g.conns[c] = struct{}{}
	g.connections++
	g.mu.Unlock()

	if g.holdHello.Load() {
		// The handshake is held: no Hello, ever; only the client (or Close)
		// ends the connection.
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				g.connEnded(c, err)
				return
			}
		}
	}
	c.write(mustJSON(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": g.cfg.HeartbeatInterval.Milliseconds()}, "s": nil, "t": nil}))
	for {
		_, raw, err := ws.ReadMessage()
		if err != nil {
			g.connEnded(c, err)
			return
		}
		var p struct {
			Op int             `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			c.closeWith(4002, "Error while decoding payload.")
			continue
		}
		switch p.Op {
		case 1:
			if !g.stopAcking.Load() {
				g.heartbeats.Add(1)
				c.write([]byte(`{"op":11,"d":null,"s":null,"t":null}`))
			}
		case 2:
			g.identify(c, p.D)
		case 6:
			g.resume(c, p.D)
		}
	}
}

// HoldHello makes new connections wait for a Hello that never comes (on)
// or get it at once (off, the default).
func (g *Gateway) HoldHello(on bool) { g.holdHello.Store(on) }

// connEnded forgets a connection. A client close with 1000 or 1001 ends its
// gateway session, as on Discord.
func (g *Gateway) connEnded(c *conn, err error) {
	c.closeNow()
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.conns, c)
	sess := c.sess
	if sess == nil || sess.conn != c {
		return
	}
	sess.conn = nil
	var ce *websocket.CloseError
	if !c.closed && errors.As(err, &ce) && (ce.Code == websocket.CloseNormalClosure || ce.Code == websocket.CloseGoingAway) {
		sess.invalid = true
	}
}

func (g *Gateway) tokenOK(tok string) bool {
	return strings.TrimPrefix(tok, "Bot ") == g.cfg.Token
}

func (g *Gateway) identify(c *conn, d json.RawMessage) {
	var id struct {
		Token string          `json:"token"`
		Shard json.RawMessage `json:"shard"`
	}
	if err := json.Unmarshal(d, &id); err != nil {
		c.closeWith(4002, "Error while decoding payload.")
		return
	}
	if !g.tokenOK(id.Token) {
		c.closeWith(4004, "Authentication failed.")
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if c.identified {
		c.closed = true
		c.closeWith(4005, "Already authenticated.")
		return
	}
	if c.sess != nil && c.sess.conn == c {
		c.sess.conn = nil
	}
	sess := &session{id: strings.ToLower((rand.Text() + rand.Text())[:32])}
	g.sessions[sess.id] = sess
	c.sess, c.identified, sess.conn = sess, true, c
	g.identifies++

	ready := map[string]any{
		"v": 9, "session_id": sess.id, "session_type": "normal", "resume_gateway_url": g.cfg.URL,
		"private_channels": []any{}, "relationships": []any{}, "presences": []any{},
	}
	for k, v := range g.cfg.State.Ready() {
		ready[k] = v
	}
	if len(id.Shard) > 0 && string(id.Shard) != "null" {
		ready["shard"] = id.Shard
	}
	g.sendLocked(sess, "READY", mustJSON(ready))
	for _, gc := range g.cfg.State.GuildCreates() {
		g.sendLocked(sess, "GUILD_CREATE", mustJSON(gc))
	}
}

func (g *Gateway) resume(c *conn, d json.RawMessage) {
	var r struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	if err := json.Unmarshal(d, &r); err != nil {
		c.closeWith(4002, "Error while decoding payload.")
		return
	}
	if !g.tokenOK(r.Token) {
		c.closeWith(4004, "Authentication failed.")
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	sess := g.sessions[r.SessionID]
	if sess == nil || sess.invalid {
		c.write([]byte(`{"op":9,"d":false,"s":null,"t":null}`))
		return
	}
	if old := sess.conn; old != nil && old != c {
		old.closed = true
		old.closeNow()
	}
	c.sess, c.identified, sess.conn = sess, true, c
	g.resumes++
	for _, f := range sess.replay {
		if f.seq > r.Seq {
			c.write(f.data)
		}
	}
	g.sendLocked(sess, "RESUMED", []byte(`{}`))
}

// sendLocked assigns the next sequence number, keeps the frame for replay
// and writes it when the session is connected. Callers hold g.mu, which
// keeps every session's frames in sequence order on the wire.
func (g *Gateway) sendLocked(sess *session, t string, d []byte) {
	sess.seq++
	b := mustJSON(map[string]any{"op": 0, "t": t, "s": sess.seq, "d": json.RawMessage(d)})
	sess.replay = append(sess.replay, frame{seq: sess.seq, data: b})
	if len(sess.replay) > maxReplay {
		sess.replay = sess.replay[len(sess.replay)-maxReplay:]
	}
	if sess.conn != nil {
		sess.conn.write(b)
	}
}

// Dispatch sends an op 0 event of type t with payload d to every gateway
// session that is identified, with that session's next sequence number.
// Sessions that are disconnected but resumable keep it for RESUME replay.
// d must marshal to JSON; a value that cannot is a bug in the test and
// panics.
func (g *Gateway) Dispatch(t string, d any) {
	b := mustJSON(d)
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, sess := range g.sessions {
		if sess.invalid {
			continue
		}
		if sess.conn != nil && !sess.conn.identified {
			continue
		}
		g.sendLocked(sess, t, b)
	}
}

// Reconnect sends op 7 RECONNECT to every identified connection.
func (g *Gateway) Reconnect() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for c := range g.conns {
		if c.identified {
			c.write([]byte(`{"op":7,"d":null,"s":null,"t":null}`))
		}
	}
}

// InvalidateSession sends op 9 INVALID_SESSION with d = resumable to every
// identified connection. The connection must IDENTIFY again; when resumable
// is false the gateway session can no longer be resumed.
func (g *Gateway) InvalidateSession(resumable bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	msg := []byte(`{"op":9,"d":false,"s":null,"t":null}`)
	if resumable {
		msg = []byte(`{"op":9,"d":true,"s":null,"t":null}`)
	}
	for c := range g.conns {
		if !c.identified {
			continue
		}
		c.identified = false
		if c.sess != nil {
			if !resumable {
				c.sess.invalid = true
			}
			if c.sess.conn == c {
				c.sess.conn = nil
			}
		}
		c.write(msg)
	}
}

// CloseAll closes every gateway connection with a close frame carrying code
// (4004, 4014, ...). Gateway sessions stay resumable and later connections
// are accepted, so discordgo's reconnect loop ends.
func (g *Gateway) CloseAll(code int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for c := range g.conns {
		g.detachLocked(c)
		c.closeWith(code, "")
	}
}

// DropAll ends every gateway connection at the TCP level, without a close
// frame. Gateway sessions stay resumable.
func (g *Gateway) DropAll() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for c := range g.conns {
		g.detachLocked(c)
		c.closeNow()
	}
}

func (g *Gateway) detachLocked(c *conn) {
	c.closed = true
	if c.sess != nil && c.sess.conn == c {
		c.sess.conn = nil
	}
}

// StopAcking makes the gateway stop answering heartbeats (a zombie
// connection) while on is true.
func (g *Gateway) StopAcking(on bool) { g.stopAcking.Store(on) }

// Connections returns how many gateway connections were accepted so far.
func (g *Gateway) Connections() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.connections
}

// OpenConnections returns how many gateway connections are open now.
func (g *Gateway) OpenConnections() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.conns)
}

// Identifies returns how many IDENTIFYs were answered with READY.
func (g *Gateway) Identifies() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.identifies
}

// Heartbeats returns how many heartbeats (op 1) the gateway acknowledged
// with op 11, over all connections. Gateway clients (discordgo, discord.js)
// send a heartbeat only after the previous one was acknowledged, so with
// one connection Heartbeats() >= 2 means its client has received an ACK and
// measured its heartbeat round trip.
func (g *Gateway) Heartbeats() int { return int(g.heartbeats.Load()) }

// Resumes returns how many RESUMEs were answered with RESUMED.
func (g *Gateway) Resumes() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.resumes
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Every value marshalled here is JSON-safe: frames the gateway builds,
		// the State's payloads, and Dispatch's d, whose failure is a test bug.
		panic(fmt.Sprintf("discordtest: marshal: %v", err))
	}
	return b
}
