package discordtest

import "github.com/nexusmon/nexusmon/internal/discordtest/internal/gateway"

// gatewayState is what the gateway (internal/gateway) reads of the Server:
// the bot, its application and its guilds, for READY and GUILD_CREATE.
type gatewayState struct{ s *Server }

func (g gatewayState) Ready() map[string]any {
	s := g.s
	guilds := []any{}
	for _, g := range s.opts.Guilds {
		guilds = append(guilds, map[string]any{"id": g.ID, "unavailable": true})
	}
	return map[string]any{
		"user": s.botUser(), "guilds": guilds, "application": map[string]any{"id": s.AppID, "flags": 0},
	}
}

func (g gatewayState) GuildCreates() []map[string]any {
	s := g.s
	joined := rfc3339(s.now())
	out := make([]map[string]any, 0, len(s.opts.Guilds))
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
		out = append(out, gc)
	}
	return out
}

func (s *Server) newGateway() *gateway.Gateway {
	return gateway.New(gateway.Config{
		Token:             s.opts.BotToken,
		HeartbeatInterval: s.opts.HeartbeatInterval,
		URL:               s.wsURL,
		State:             gatewayState{s},
	})
}

// HoldHello makes new gateway connections wait for a Hello that never
// comes (on) or get it at once (off, the default): a gateway that accepts a
// connection and then stalls.
func (s *Server) HoldHello(on bool) { s.gw.HoldHello(on) }

// Dispatch sends an op 0 event of type t with payload d to every gateway
// session that is identified, with that session's next sequence number.
// Sessions that are disconnected but resumable keep it for RESUME replay.
// d must marshal to JSON; a value that cannot is a bug in the test and
// panics.
func (s *Server) Dispatch(t string, d any) { s.gw.Dispatch(t, d) }

// Reconnect sends op 7 RECONNECT to every identified connection.
func (s *Server) Reconnect() { s.gw.Reconnect() }

// InvalidateSession sends op 9 INVALID_SESSION with d = resumable to every
// identified connection. The connection must IDENTIFY again; when resumable
// is false the gateway session can no longer be resumed.
func (s *Server) InvalidateSession(resumable bool) { s.gw.InvalidateSession(resumable) }

// CloseAll closes every gateway connection with a close frame carrying code
// (4004, 4014, ...). Gateway sessions stay resumable and later connections
// are accepted, so discordgo's reconnect loop ends.
func (s *Server) CloseAll(code int) { s.gw.CloseAll(code) }

// DropAll ends every gateway connection at the TCP level, without a close
// frame. Gateway sessions stay resumable.
func (s *Server) DropAll() { s.gw.DropAll() }

// StopAcking makes the gateway stop answering heartbeats (a zombie
// connection) while on is true.
func (s *Server) StopAcking(on bool) { s.gw.StopAcking(on) }

// Connections returns how many gateway connections were accepted so far.
func (s *Server) Connections() int { return s.gw.Connections() }

// OpenConnections returns how many gateway connections are open now.
func (s *Server) OpenConnections() int { return s.gw.OpenConnections() }

// Identifies returns how many IDENTIFYs were answered with READY.
func (s *Server) Identifies() int { return s.gw.Identifies() }

// Heartbeats returns how many heartbeats (op 1) the gateway acknowledged
// with op 11, over all connections. Gateway clients (discordgo, discord.js)
// send a heartbeat only after the previous one was acknowledged, so with
// one connection Heartbeats() >= 2 means its client has received an ACK and
// measured its heartbeat round trip.
func (s *Server) Heartbeats() int { return s.gw.Heartbeats() }

// Resumes returns how many RESUMEs were answered with RESUMED.
func (s *Server) Resumes() int { return s.gw.Resumes() }
