package discordtest

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nexusmon/nexusmon/internal/discordtest/internal/payload"
)

// Interaction describes a slash-command invocation to inject with
// InjectInteraction.
type Interaction struct {
	// GuildID of the invocation; "" makes it a DM interaction (user instead
	// of member). ChannelID defaults to the first channel of the guild.
	GuildID, ChannelID string
	// UserID of the invoking user; default "1000000000000000001".
	UserID string
	// Permissions of the member (Administrator = 8), sent as a string.
	Permissions int64
	// Command is the command name; default "nexus".
	Command string
	// Subcommand, when set, becomes data.options[0] of type 1.
	Subcommand string
	// Options are the (sub)command's arguments: string → type 3, bool → 5,
	// integers → 4, float64 → 10, anything else a string of its JSON.
	Options map[string]any
}

type interaction struct {
	id, token    string
	channelID    string
	dispatchedAt time.Time
	acked        bool
	originalID   string
	followups    []string
}

// InjectInteraction dispatches INTERACTION_CREATE (type 2, application
// command) to every identified gateway session and returns the generated
// interaction id and token. The initial callback is accepted until the
// interaction deadline (3 s by default) after this call.
func (s *Server) InjectInteraction(in Interaction) (id, token string) {
	if in.Command == "" {
		in.Command = "nexus"
	}
	if in.UserID == "" {
		in.UserID = "1000000000000000001"
	}
	if in.ChannelID == "" {
		if g := s.guild(in.GuildID); g != nil && len(g.Channels) > 0 {
			in.ChannelID = g.Channels[0].ID
		} else {
			in.ChannelID = DefaultChannelID
		}
	}
	s.mu.Lock()
	id, token = s.flake(), "aW50ZXJhY3Rpb246"+newToken()
	cmdID := ""
	for _, scope := range []string{in.GuildID, ""} {
		for _, c := range s.commands[scope] {
			if payload.Str(c, "name") == in.Command {
				cmdID = payload.Str(c, "id")
			}
		}
		if cmdID != "" {
			break
		}
	}
	if cmdID == "" {
		cmdID = s.flake()
	}
	s.interactions[id] = &interaction{id: id, token: token, channelID: in.ChannelID, dispatchedAt: s.now()}
	s.mu.Unlock()

	opts := interactionOptions(in.Options)
	if in.Subcommand != "" {
		sub := map[string]any{"name": in.Subcommand, "type": 1}
		if len(opts) > 0 {
			sub["options"] = opts
		}
		opts = []any{sub}
	}
	data := map[string]any{"id": cmdID, "name": in.Command, "type": 1}
	if len(opts) > 0 {
		data["options"] = opts
	}
	perms := strconv.FormatInt(in.Permissions, 10)
	user := map[string]any{"id": in.UserID, "username": "alice", "global_name": "Alice", "discriminator": "0", "avatar": nil}
	d := map[string]any{
		"id": id, "application_id": s.AppID, "type": 2, "token": token, "version": 1,
		"channel_id": in.ChannelID, "app_permissions": "2251799813685247", "locale": "en-US",
		"entitlements": []any{}, "attachment_size_limit": payload.MaxFileSize, "data": data,
	}
	if in.GuildID != "" {
		data["guild_id"] = in.GuildID
		d["guild_id"] = in.GuildID
		d["guild_locale"] = "en-US"
		d["context"] = 0
		d["authorizing_integration_owners"] = map[string]any{"0": in.GuildID}
		d["channel"] = map[string]any{"id": in.ChannelID, "type": 0, "guild_id": in.GuildID, "name": s.channelName(in.ChannelID)}
		d["member"] = map[string]any{
			"user": user, "roles": []any{}, "permissions": perms,
			"joined_at": "2024-01-01T00:00:00.000000+00:00", "deaf": false, "mute": false,
			"pending": false, "nick": nil, "flags": 0,
		}
	} else {
		d["context"] = 1
		d["authorizing_integration_owners"] = map[string]any{"0": in.UserID}
		d["channel"] = map[string]any{"id": in.ChannelID, "type": 1}
		d["user"] = user
	}
	s.Dispatch("INTERACTION_CREATE", d)
	return id, token
}

func (s *Server) channelName(id string) string {
	for _, g := range s.opts.Guilds {
		for _, c := range g.Channels {
			if c.ID == id {
				return c.Name
			}
		}
	}
	return ""
}

func interactionOptions(in map[string]any) []any {
	names := make([]string, 0, len(in))
	for k := range in {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]any, 0, len(names))
	for _, k := range names {
		v := in[k]
		typ := 3
		switch x := v.(type) {
		case string:
		case bool:
			typ = 5
		case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
			typ = 4
		case float32, float64:
			typ = 10
		default:
			b, err := json.Marshal(x)
			if err != nil {
				b = []byte("null")
			}
			v = string(b)
		}
		out = append(out, map[string]any{"name": k, "type": typ, "value": v})
	}
	return out
}

// interactionCallback answers POST /interactions/{id}/{token}/callback.
func (s *Server) interactionCallback(c *call) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.interactions[c.params[0]]
	if in == nil || in.token != c.params[1] || s.now().Sub(in.dispatchedAt) > s.opts.InteractionDeadline {
		return jsonError(http.StatusNotFound, 10062, "Unknown interaction")
	}
	if in.acked {
		return jsonError(http.StatusBadRequest, 40060, "Interaction has already been acknowledged.")
	}
	if c.payload == nil {
		return formError(fieldError([]string{"type"}, "BASE_TYPE_REQUIRED", "This field is required"))
	}
	typ, ok := c.payload["type"].(float64)
	if !ok || typ < 1 || typ > 12 || typ == 2 || typ == 3 {
		return formError(fieldError([]string{"type"}, "BASE_TYPE_CHOICES", "Value must be one of {1, 4, 5, 6, 7, 8, 9, 10, 12}."))
	}
	data := payload.Obj(c.payload, "data")
	switch typ {
	case 4:
		mc := &call{r: c.r, rec: c.rec, payload: data, raw: c.raw}
		if data == nil {
			mc.payload = map[string]any{}
		}
		m, r := s.create(mc, func() *storedMessage {
			m := s.newMessage(mc, in.channelID)
			m.webhookID, m.authorID, m.authorName = s.AppID, s.BotID, "nexusmon-test"
			m.interactionID = in.id
			m.hidden = m.flags&64 != 0
			return m
		})
		if r != nil {
			return prefixErrors(*r, "data")
		}
		in.originalID = m.id
	case 5:
		m := &storedMessage{id: s.flake(), channelID: in.channelID, createdAt: s.now(),
			webhookID: s.AppID, authorID: s.BotID, authorName: "nexusmon-test", interactionID: in.id}
		if f, ok := data["flags"].(float64); ok {
			m.flags = int64(f) | flagLoading
			m.hidden = int64(f)&64 != 0
		} else {
			m.flags = flagLoading
		}
		s.store(m)
		in.originalID = m.id
	}
	in.acked = true
	return response{status: http.StatusNoContent}
}

// prefixErrors moves a 50035 error tree under key, as Discord reports errors
// of an interaction response's data.
func prefixErrors(r response, key string) response {
	var body map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil {
		return r
	}
	if tree, ok := body["errors"]; ok {
		body["errors"] = map[string]any{key: tree}
		r.body = mustJSON(body)
	}
	return r
}

// InteractionResponses returns the recorded requests that answered an
// interaction: its callback, @original edits and followups, in order.
func (s *Server) InteractionResponses(id string) []Request {
	s.mu.Lock()
	in := s.interactions[id]
	s.mu.Unlock()
	if in == nil {
		return nil
	}
	cb := "/interactions/" + in.id + "/" + in.token + "/"
	wh := "/webhooks/" + s.AppID + "/" + in.token
	var out []Request
	for _, r := range s.Requests() {
		p, ok := stripPrefix(r.Path)
		if !ok {
			continue
		}
		if strings.HasPrefix(p+"/", cb) || p == wh || strings.HasPrefix(p, wh+"/") {
			out = append(out, r)
		}
	}
	return out
}

func decodeList(raw json.RawMessage) ([]any, bool) {
	var l []any
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, false
	}
	return l, true
}
