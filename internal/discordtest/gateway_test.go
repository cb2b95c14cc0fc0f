package discordtest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

type wsFrame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s"`
	T  *string         `json:"t"`
}

// wsClient is a bare gateway client for checking the wire format.
type wsClient struct {
	t testing.TB
	c *websocket.Conn
}

func dialGateway(t *testing.T, s *Server) *wsClient {
	t.Helper()
	d := &websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	c, resp, err := d.Dial(strings.Replace(s.URL, "http", "ws", 1)+"/ws/?v=9&encoding=json", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	resp.Body.Close()
	t.Cleanup(func() { _ = c.Close() }) // best effort: the test may have closed it
	w := &wsClient{t: t, c: c}
	hello := w.read()
	var h struct {
		HeartbeatInterval int64 `json:"heartbeat_interval"`
	}
	if err := json.Unmarshal(hello.D, &h); err != nil || hello.Op != 10 || h.HeartbeatInterval != 45000 {
		t.Fatalf("hello = %+v (%s)", hello, hello.D)
	}
	return w
}

func (w *wsClient) read() wsFrame {
	w.t.Helper()
	if err := w.c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		w.t.Fatal(err)
	}
	_, b, err := w.c.ReadMessage()
	if err != nil {
		w.t.Fatalf("read: %v", err)
	}
	var f wsFrame
	if err := json.Unmarshal(b, &f); err != nil {
		w.t.Fatalf("frame %s: %v", b, err)
	}
	return f
}

// readClose reads until the server closes and returns the close code.
func (w *wsClient) readClose() int {
	w.t.Helper()
	if err := w.c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		w.t.Fatal(err)
	}
	for {
		_, _, err := w.c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		return -1
	}
}

func (w *wsClient) send(v any) {
	w.t.Helper()
	if err := w.c.WriteJSON(v); err != nil {
		w.t.Fatal(err)
	}
}

func (w *wsClient) dispatch(wantT string, wantS int64) map[string]any {
	w.t.Helper()
	f := w.read()
	if f.Op != 0 || f.T == nil || *f.T != wantT || f.S == nil || *f.S != wantS {
		w.t.Fatalf("frame = op %d t %v s %v, want %s s=%d", f.Op, deref(f.T), deref(f.S), wantT, wantS)
	}
	var d map[string]any
	if err := json.Unmarshal(f.D, &d); err != nil {
		w.t.Fatal(err)
	}
	return d
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func identify(tok string) map[string]any {
	return map[string]any{"op": 2, "d": map[string]any{"token": "Bot " + tok, "intents": 1, "shard": []int{0, 1}, "properties": map[string]any{}}}
}

func TestGateway_Wire(t *testing.T) {
	t.Parallel()
	s := New(t)
	w := dialGateway(t, s)

	w.send(map[string]any{"op": 1, "d": 0})
	if f := w.read(); f.Op != 11 {
		t.Fatalf("heartbeat answer op %d", f.Op)
	}
	w.send(identify(s.Token()))
	ready := w.dispatch("READY", 1) // the very next frame
	guilds := ready["guilds"].([]any)
	if ready["session_id"] == "" || ready["resume_gateway_url"] != strings.Replace(s.URL, "http", "ws", 1)+"/ws" ||
		len(guilds) != 1 || guilds[0].(map[string]any)["unavailable"] != true ||
		ready["application"].(map[string]any)["id"] != s.AppID || ready["user"].(map[string]any)["id"] != s.BotID {
		t.Errorf("ready = %v", ready)
	}
	if sh, _ := json.Marshal(ready["shard"]); string(sh) != "[0,1]" {
		t.Errorf("shard = %s", sh)
	}
	g := w.dispatch("GUILD_CREATE", 2)
	if _, err := time.Parse(time.RFC3339, g["joined_at"].(string)); err != nil {
		t.Errorf("joined_at: %v", err)
	}
	ch := g["channels"].([]any)[0].(map[string]any)
	role := g["roles"].([]any)[0].(map[string]any)
	if g["member_count"] != 42.0 || ch["guild_id"] != DefaultGuildID || len(g["members"].([]any)) != 0 || g["unavailable"] != false {
		t.Errorf("guild create = %v", g)
	}
	if _, ok := role["permissions"].(string); !ok {
		t.Errorf("role permissions not a string: %v", role["permissions"])
	}

	s.Dispatch("TYPING_START", map[string]any{"channel_id": DefaultChannelID})
	w.dispatch("TYPING_START", 3)

	// Dropped: the two dispatches below are kept for RESUME.
	s.DropAll()
	if code := w.readClose(); code != websocket.CloseAbnormalClosure {
		t.Errorf("drop: close code %d, want none (1006)", code)
	}
	s.Dispatch("A", map[string]any{})
	s.Dispatch("B", map[string]any{})
	w2 := dialGateway(t, s)
	w2.send(map[string]any{"op": 6, "d": map[string]any{"token": "Bot " + s.Token(), "session_id": ready["session_id"], "seq": 3}})
	w2.dispatch("A", 4)
	w2.dispatch("B", 5)
	w2.dispatch("RESUMED", 6)
	if s.Resumes() != 1 || s.Identifies() != 1 || s.Connections() != 2 {
		t.Errorf("resumes %d identifies %d connections %d", s.Resumes(), s.Identifies(), s.Connections())
	}

	// A second IDENTIFY on an identified connection is fatal.
	w2.send(identify(s.Token()))
	if code := w2.readClose(); code != 4005 {
		t.Errorf("second identify: close %d, want 4005", code)
	}
}

func TestGateway_Faults(t *testing.T) {
	t.Parallel()
	s := New(t)
	tests := []struct {
		name string
		run  func(t *testing.T, w *wsClient)
	}{
		{"bad token", func(t *testing.T, w *wsClient) {
			w.send(identify("wrong"))
			if code := w.readClose(); code != 4004 {
				t.Errorf("close %d, want 4004", code)
			}
		}},
		{"bad json", func(t *testing.T, w *wsClient) {
			if err := w.c.WriteMessage(websocket.TextMessage, []byte("{")); err != nil {
				t.Fatal(err)
			}
			if code := w.readClose(); code != 4002 {
				t.Errorf("close %d, want 4002", code)
			}
		}},
		{"unknown session", func(t *testing.T, w *wsClient) {
			w.send(map[string]any{"op": 6, "d": map[string]any{"token": "Bot " + s.Token(), "session_id": "nope", "seq": 1}})
			f := w.read()
			if f.Op != 9 || string(f.D) != "false" {
				t.Errorf("frame = op %d d %s, want op 9 false", f.Op, f.D)
			}
		}},
		{"close 1000 ends the session", func(t *testing.T, w *wsClient) {
			w.send(identify(s.Token()))
			ready := w.dispatch("READY", 1)
			w.dispatch("GUILD_CREATE", 2)
			if err := w.c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, "")); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, "connection gone", func() bool { return s.OpenConnections() == 0 })
			w2 := dialGateway(t, s)
			w2.send(map[string]any{"op": 6, "d": map[string]any{"token": "Bot " + s.Token(), "session_id": ready["session_id"], "seq": 2}})
			if f := w2.read(); f.Op != 9 || string(f.D) != "false" {
				t.Errorf("resume after 1000: op %d d %s", f.Op, f.D)
			}
			_ = w2.c.Close() // best effort: ends the second connection
		}},
		{"op 7, op 9 and close codes", func(t *testing.T, w *wsClient) {
			w.send(identify(s.Token()))
			w.dispatch("READY", 1)
			w.dispatch("GUILD_CREATE", 2)
			s.Reconnect()
			if f := w.read(); f.Op != 7 {
				t.Errorf("op %d, want 7", f.Op)
			}
			s.InvalidateSession(true)
			if f := w.read(); f.Op != 9 || string(f.D) != "true" {
				t.Errorf("op %d d %s, want 9 true", f.Op, f.D)
			}
			// After op 9 the connection may identify again.
			w.send(identify(s.Token()))
			w.dispatch("READY", 1)
			w.dispatch("GUILD_CREATE", 2)
			s.CloseAll(4014)
			if code := w.readClose(); code != 4014 {
				t.Errorf("close %d, want 4014", code)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := dialGateway(t, s)
			tt.run(t, w)
			_ = w.c.Close() // best effort: the server may have closed it already
			waitUntil(t, "connections closed", func() bool { return s.OpenConnections() == 0 })
		})
	}
}
