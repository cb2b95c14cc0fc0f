package discordtest

import (
	"net/http"
	"time"
)

func (s *Server) getGateway(*call) response {
	return jsonOK(http.StatusOK, map[string]any{"url": s.wsURL})
}

func (s *Server) getGatewayBot(*call) response {
	return jsonOK(http.StatusOK, map[string]any{
		"url": s.wsURL, "shards": 1,
		"session_start_limit": map[string]any{"total": 1000, "remaining": 999, "reset_after": 86400000, "max_concurrency": 1},
	})
}

func (s *Server) botUser() map[string]any {
	return map[string]any{
		"id": s.BotID, "username": "nexusmon-test", "discriminator": "0", "global_name": nil,
		"avatar": nil, "bot": true, "verified": true, "flags": 0, "mfa_enabled": false,
	}
}

func (s *Server) getMe(*call) response {
	return jsonOK(http.StatusOK, s.botUser())
}

func (s *Server) getApplication(*call) response {
	return jsonOK(http.StatusOK, map[string]any{
		"id": s.AppID, "name": "nexusmon-test", "description": "", "icon": nil,
		"bot_public": false, "bot_require_code_grant": false, "flags": 0, "bot": s.botUser(),
		"rpc_origins": []any{}, "verify_key": "0000000000000000000000000000000000000000000000000000000000000000",
		"owner": map[string]any{"id": "1000000000000000001", "username": "owner", "discriminator": "0", "global_name": nil, "avatar": nil},
	})
}

func (s *Server) guild(id string) *Guild {
	for i := range s.opts.Guilds {
		if s.opts.Guilds[i].ID == id {
			return &s.opts.Guilds[i]
		}
	}
	return nil
}

func channelWire(c Channel, guildID string, pos int) map[string]any {
	return map[string]any{
		"id": c.ID, "type": c.Type, "name": c.Name, "guild_id": guildID, "position": pos,
		"permission_overwrites": []any{}, "nsfw": false, "parent_id": nil,
	}
}

// guildWire is the guild object; GUILD_CREATE adds the gateway-only fields.
func (s *Server) guildWire(g *Guild) map[string]any {
	chans := []any{}
	for i, c := range g.Channels {
		chans = append(chans, channelWire(c, g.ID, i))
	}
	return map[string]any{
		"id": g.ID, "name": g.Name, "icon": nil, "owner_id": "1000000000000000001",
		"roles": []any{map[string]any{
			"id": g.ID, "name": "@everyone", "permissions": "1071698660929", "position": 0,
			"color": 0, "hoist": false, "managed": false, "mentionable": false,
		}},
		"emojis": []any{}, "stickers": []any{}, "features": []any{},
		"verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
		"mfa_level": 0, "premium_tier": 0, "preferred_locale": "en-US", "nsfw_level": 0,
		"channels": chans,
	}
}

func (s *Server) getGuild(c *call) response {
	g := s.guild(c.params[0])
	if g == nil {
		return jsonError(http.StatusNotFound, 10004, "Unknown Guild")
	}
	out := s.guildWire(g)
	delete(out, "channels")
	if c.r.URL.Query().Get("with_counts") == "true" {
		out["approximate_member_count"] = g.MemberCount
		out["approximate_presence_count"] = g.MemberCount / 2
	}
	return jsonOK(http.StatusOK, out)
}

func (s *Server) getGuildChannels(c *call) response {
	g := s.guild(c.params[0])
	if g == nil {
		return jsonError(http.StatusNotFound, 10004, "Unknown Guild")
	}
	out := []any{}
	for i, ch := range g.Channels {
		out = append(out, channelWire(ch, g.ID, i))
	}
	return jsonOK(http.StatusOK, out)
}

func (s *Server) getChannel(c *call) response {
	for _, g := range s.opts.Guilds {
		for i, ch := range g.Channels {
			if ch.ID == c.params[0] {
				return jsonOK(http.StatusOK, channelWire(ch, g.ID, i))
			}
		}
	}
	return unknownChannel()
}

// rfc3339 formats t the way Discord's timestamps look.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
