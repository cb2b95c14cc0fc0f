package discordtest

import (
	"encoding/json"
	"net/http"
	"strconv"
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

// commandScope returns the guild id of a commands route ("" = global).
func commandScope(c *call) string {
	if len(c.params) > 1 {
		return c.params[1]
	}
	return ""
}

func (s *Server) checkApp(c *call) *response {
	if c.params[0] != s.AppID {
		r := jsonError(http.StatusForbidden, 50001, "Missing Access")
		return &r
	}
	if g := commandScope(c); g != "" && s.guild(g) == nil {
		r := jsonError(http.StatusForbidden, 50001, "Missing Access")
		return &r
	}
	return nil
}

func (s *Server) getCommands(c *call) response {
	if r := s.checkApp(c); r != nil {
		return *r
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, cmd := range s.commands[commandScope(c)] {
		out = append(out, cmd)
	}
	return jsonOK(http.StatusOK, out)
}

// storeCommand completes a command with ids; callers hold s.mu.
func (s *Server) storeCommand(scope string, in map[string]any) map[string]any {
	cmd := make(map[string]any, len(in)+4)
	for k, v := range in {
		cmd[k] = v
	}
	typ := 1.0
	if t, ok := in["type"].(float64); ok {
		typ = t
	}
	cmd["type"] = typ
	key := scope + "|" + strconv.FormatFloat(typ, 'f', 0, 64) + "|" + str(in, "name")
	id := s.cmdIDs[key]
	if id == "" {
		id = s.flake()
		s.cmdIDs[key] = id
	}
	cmd["id"] = id
	cmd["application_id"] = s.AppID
	cmd["version"] = s.flake()
	if scope != "" {
		cmd["guild_id"] = scope
	}
	if _, ok := cmd["description"]; !ok {
		cmd["description"] = ""
	}
	return cmd
}

// validateCommand checks the limits of a CHAT_INPUT command that a bot can
// get wrong without noticing.
func validateCommand(path []string, in map[string]any) fieldErrs {
	var errs fieldErrs
	name := str(in, "name")
	if n := len([]rune(name)); n < 1 || n > 32 {
		errs = append(errs, fieldErr{append(path, "name"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length."})
	}
	if t, ok := in["type"].(float64); !ok || t == 1 {
		if n := len([]rune(str(in, "description"))); n < 1 || n > 100 {
			errs = append(errs, fieldErr{append(path, "description"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."})
		}
		opts, _ := in["options"].([]any) // absent or null: none
		errs = append(errs, maxLen(append(path, "options"), len(opts), 25)...)
	}
	return errs
}

func (s *Server) putCommands(c *call) response {
	if r := s.checkApp(c); r != nil {
		return *r
	}
	var list []any
	if c.raw != nil {
		if l, ok := decodeList(c.raw); ok {
			list = l
		} else {
			return formError(fieldErrs{{nil, "MODEL_TYPE_CONVERT", "Only iterables may be used in a ListType"}})
		}
	}
	var errs fieldErrs
	cmds := make([]map[string]any, 0, len(list))
	for i, v := range list {
		m, ok := v.(map[string]any)
		if !ok {
			errs = append(errs, fieldErr{[]string{strconv.Itoa(i)}, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"})
			continue
		}
		if s.opts.Validate {
			errs = append(errs, validateCommand([]string{strconv.Itoa(i)}, m)...)
		}
		cmds = append(cmds, m)
	}
	if len(errs) > 0 {
		return formError(errs)
	}
	scope := commandScope(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	stored := make([]map[string]any, 0, len(cmds))
	out := make([]any, 0, len(cmds))
	for _, m := range cmds {
		cmd := s.storeCommand(scope, m)
		stored = append(stored, cmd)
		out = append(out, cmd)
	}
	s.commands[scope] = stored
	return jsonOK(http.StatusOK, out)
}

func (s *Server) postCommand(c *call) response {
	if r := s.checkApp(c); r != nil {
		return *r
	}
	if c.payload == nil {
		return formError(fieldErrs{{nil, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"}})
	}
	if s.opts.Validate {
		if errs := validateCommand(nil, c.payload); len(errs) > 0 {
			return formError(errs)
		}
	}
	scope := commandScope(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := s.storeCommand(scope, c.payload)
	replaced := false
	for i, old := range s.commands[scope] {
		if old["id"] == cmd["id"] {
			s.commands[scope][i] = cmd
			replaced = true
		}
	}
	if !replaced {
		s.commands[scope] = append(s.commands[scope], cmd)
		return jsonOK(http.StatusCreated, cmd)
	}
	return jsonOK(http.StatusOK, cmd)
}

// RegisteredCommands returns the application commands stored for a guild, or
// the global ones for "", as Discord echoes them (with id, application_id and
// version).
func (s *Server) RegisteredCommands(guildID string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, cmd := range s.commands[guildID] {
		// A JSON round trip copies nested options too, so callers cannot
		// change what the server stores.
		var cp map[string]any
		if err := json.Unmarshal(mustJSON(cmd), &cp); err != nil {
			continue // cannot happen: cmd was decoded from JSON
		}
		out = append(out, cp)
	}
	return out
}

// rfc3339 formats t the way Discord's timestamps look.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
