package discordtest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// maxReplay bounds the frames kept per gateway session for RESUME.
const maxReplay = 4096

const writeTimeout = 5 * time.Second

// gwConn is one websocket connection. Fields other than ws and wmu are
// guarded by Server.mu.
type gwConn struct {
	ws         *websocket.Conn
	wmu        sync.Mutex // gorilla allows one concurrent writer
	sess       *gwSession
	identified bool
	closed     bool     // the server ended it: later client close codes are ignored
	z          *zstream // zlib-stream compression, nil for text frames; guarded by wmu
}

// gwSession is a gateway session (session_id) that can outlive connections.
// Guarded by Server.mu.
type gwSession struct {
	id      string
	seq     int64
	replay  []frame
	conn    *gwConn
	invalid bool
}

type frame struct {
	seq  int64
	data []byte
}

func (c *gwConn) write(b []byte) {
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

func (c *gwConn) closeNow() {
	_ = c.ws.Close() // best effort: the peer sees the TCP connection end
}

// closeWith sends a close frame with code, then ends the TCP connection.
func (c *gwConn) closeWith(code int, reason string) {
	// WriteControl is safe alongside other writers.
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(writeTimeout))
	c.closeNow()
}

var upgrader = websocket.Upgrader{
	CheckOrigin: func(*http.Request) bool { return true },
}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade already answered the client
	}
	c := &gwConn{ws: ws, z: newZstream(r)}
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		c.closeNow()
		return
	default:
	}
	s.wg.Add(1)
	defer s.wg.Done()
	s.conns[c] = struct{}{}
	s.connections++
	s.mu.Unlock()

	if s.holdHello.Load() {
		// The handshake is held: no Hello, ever; only the client (or Close)
		// ends the connection.
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				s.connEnded(c, err)
				return
			}
		}
	}
	c.write(mustJSON(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": s.opts.HeartbeatInterval.Milliseconds()}, "s": nil, "t": nil}))
	for {
		_, raw, err := ws.ReadMessage()
		if err != nil {
			s.connEnded(c, err)
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
			if !s.stopAcking.Load() {
				s.heartbeats.Add(1)
				c.write([]byte(`{"op":11,"d":null,"s":null,"t":null}`))
			}
		case 2:
			s.identify(c, p.D)
		case 6:
			s.resume(c, p.D)
		}
	}
}

// HoldHello makes new gateway connections wait for a Hello that never
// comes (on) or get it at once (off, the default): a gateway that accepts a
// connection and then stalls.
func (s *Server) HoldHello(on bool) { s.holdHello.Store(on) }

// connEnded forgets a connection. A client close with 1000 or 1001 ends its
// gateway session, as on Discord.
func (s *Server) connEnded(c *gwConn, err error) {
	c.closeNow()
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
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

func (s *Server) tokenOK(tok string) bool {
	return strings.TrimPrefix(tok, "Bot ") == s.opts.BotToken
}

func (s *Server) identify(c *gwConn, d json.RawMessage) {
	var id struct {
		Token string          `json:"token"`
		Shard json.RawMessage `json:"shard"`
	}
	if err := json.Unmarshal(d, &id); err != nil {
		c.closeWith(4002, "Error while decoding payload.")
		return
	}
	if !s.tokenOK(id.Token) {
		c.closeWith(4004, "Authentication failed.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.identified {
		c.closed = true
		c.closeWith(4005, "Already authenticated.")
		return
	}
	if c.sess != nil && c.sess.conn == c {
		c.sess.conn = nil
	}
	sess := &gwSession{id: strings.ToLower(newToken()[:32])}
	s.gwSessions[sess.id] = sess
	c.sess, c.identified, sess.conn = sess, true, c
	s.identifies++

	guilds := []any{}
	for _, g := range s.opts.Guilds {
		guilds = append(guilds, map[string]any{"id": g.ID, "unavailable": true})
	}
	ready := map[string]any{
		"v": 9, "user": s.botUser(), "guilds": guilds, "session_id": sess.id, "session_type": "normal",
		"resume_gateway_url": s.wsURL, "application": map[string]any{"id": s.AppID, "flags": 0},
		"private_channels": []any{}, "relationships": []any{}, "presences": []any{},
	}
	if len(id.Shard) > 0 && string(id.Shard) != "null" {
		ready["shard"] = id.Shard
	}
	s.sendLocked(sess, "READY", mustJSON(ready))
	joined := rfc3339(s.now())
	for i := range s.opts.Guilds {
		g := &s.opts.Guilds[i]
		gc := s.guildWire(g)
		gc["joined_at"] = joined
		gc["large"] = false
		gc["unavailable"] = false
		gc["member_count"] = g.MemberCount
		gc["members"] = []any{}
		for _, k := range []string{"threads", "presences", "voice_states", "stage_instances", "guild_scheduled_events"} {
			gc[k] = []any{}
		}
		s.sendLocked(sess, "GUILD_CREATE", mustJSON(gc))
	}
}

func (s *Server) resume(c *gwConn, d json.RawMessage) {
	var r struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	if err := json.Unmarshal(d, &r); err != nil {
		c.closeWith(4002, "Error while decoding payload.")
		return
	}
	if !s.tokenOK(r.Token) {
		c.closeWith(4004, "Authentication failed.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.gwSessions[r.SessionID]
	if sess == nil || sess.invalid {
		c.write([]byte(`{"op":9,"d":false,"s":null,"t":null}`))
		return
	}
	if old := sess.conn; old != nil && old != c {
		old.closed = true
		old.closeNow()
	}
	c.sess, c.identified, sess.conn = sess, true, c
	s.resumes++
	for _, f := range sess.replay {
		if f.seq > r.Seq {
			c.write(f.data)
		}
	}
	s.sendLocked(sess, "RESUMED", []byte(`{}`))
}

// sendLocked assigns the next sequence number, keeps the frame for replay
// and writes it when the session is connected. Callers hold s.mu, which
// keeps every session's frames in sequence order on the wire.
func (s *Server) sendLocked(sess *gwSession, t string, d []byte) {
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
func (s *Server) Dispatch(t string, d any) {
	b := mustJSON(d)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sess := range s.gwSessions {
		if sess.invalid {
			continue
		}
		if sess.conn != nil && !sess.conn.identified {
			continue
		}
		s.sendLocked(sess, t, b)
	}
}

// Reconnect sends op 7 RECONNECT to every identified connection.
func (s *Server) Reconnect() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.identified {
			c.write([]byte(`{"op":7,"d":null,"s":null,"t":null}`))
		}
	}
}

// InvalidateSession sends op 9 INVALID_SESSION with d = resumable to every
// identified connection. The connection must IDENTIFY again; when resumable
// is false the gateway session can no longer be resumed.
func (s *Server) InvalidateSession(resumable bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := []byte(`{"op":9,"d":false,"s":null,"t":null}`)
	if resumable {
		msg = []byte(`{"op":9,"d":true,"s":null,"t":null}`)
	}
	for c := range s.conns {
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
func (s *Server) CloseAll(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		s.detachLocked(c)
		c.closeWith(code, "")
	}
}

// DropAll ends every gateway connection at the TCP level, without a close
// frame. Gateway sessions stay resumable.
func (s *Server) DropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		s.detachLocked(c)
		c.closeNow()
	}
}

func (s *Server) detachLocked(c *gwConn) {
	c.closed = true
	if c.sess != nil && c.sess.conn == c {
		c.sess.conn = nil
	}
}

// StopAcking makes the gateway stop answering heartbeats (a zombie
// connection) while on is true.
func (s *Server) StopAcking(on bool) { s.stopAcking.Store(on) }

// Connections returns how many gateway connections were accepted so far.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connections
}

// OpenConnections returns how many gateway connections are open now.
func (s *Server) OpenConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Identifies returns how many IDENTIFYs were answered with READY.
func (s *Server) Identifies() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.identifies
}

// Heartbeats returns how many heartbeats (op 1) the gateway acknowledged
// with op 11, over all connections. Gateway clients (discordgo, discord.js)
// send a heartbeat only after the previous one was acknowledged, so with
// one connection Heartbeats() >= 2 means its client has received an ACK and
// measured its heartbeat round trip.
func (s *Server) Heartbeats() int { return int(s.heartbeats.Load()) }

// Resumes returns how many RESUMEs were answered with RESUMED.
func (s *Server) Resumes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resumes
}
