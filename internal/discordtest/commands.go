package discordtest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/nexusmon/nexusmon/internal/discordtest/internal/payload"
)

// Application commands, as Discord keeps them: one list per scope (global,
// or one guild), a command identified by its id and unique by type and
// name. POST creates a command or, when one of that type and name exists,
// overwrites it in place, keeping its id; PATCH changes the fields it
// carries; DELETE removes one; PUT replaces the whole list, keeping the ids
// of commands whose type and name (or id) it names again.
// https://discord.com/developers/docs/interactions/application-commands#registering-a-command

// commandParams returns the scope ("" = global) and the command id ("" for
// the list routes) of a commands route.
func commandParams(c *call) (scope, cmdID string) {
	rest := c.params[1:]
	if strings.Contains(c.path, "/guilds/") {
		scope, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		cmdID = rest[0]
	}
	return scope, cmdID
}

func (s *Server) checkApp(c *call) *response {
	if c.params[0] != s.AppID {
		r := jsonError(http.StatusForbidden, 50001, "Missing Access")
		return &r
	}
	if g, _ := commandParams(c); g != "" && s.guild(g) == nil {
		r := jsonError(http.StatusForbidden, 50001, "Missing Access")
		return &r
	}
	return nil
}

func unknownCommand() response {
	return jsonError(http.StatusNotFound, 10063, "Unknown application command")
}

// sameCommand reports whether a and b have the same type and name.
func sameCommand(a, b map[string]any) bool {
	return payload.CommandType(a) == payload.CommandType(b) && payload.Str(a, "name") == payload.Str(b, "name")
}

// completeCommand returns in as Discord stores it: the given fields over
// Discord's defaults, with id, application_id, a new version and, for guild
// commands, guild_id. Callers hold s.mu.
func (s *Server) completeCommand(scope, id string, in map[string]any) map[string]any {
	cmd := map[string]any{
		"type": 1.0, "description": "", "default_member_permissions": nil, "nsfw": false,
		"contexts": nil, "integration_types": []any{0.0},
	}
	if scope == "" {
		cmd["dm_permission"] = true
	}
	for k, v := range in {
		cmd[k] = v
	}
	if _, ok := in["type"].(float64); !ok {
		cmd["type"] = 1.0
	}
	cmd["id"] = id
	cmd["application_id"] = s.AppID
	cmd["version"] = s.flake()
	if scope != "" {
		cmd["guild_id"] = scope
	}
	return cmd
}

// findCommand returns the index of the command with id in scope, or -1.
// Callers hold s.mu.
func (s *Server) findCommand(scope, id string) int {
	for i, cmd := range s.commands[scope] {
		if cmd["id"] == id {
			return i
		}
	}
	return -1
}

func (s *Server) getCommands(c *call) response {
	if r := s.checkApp(c); r != nil {
		return *r
	}
	scope, _ := commandParams(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, cmd := range s.commands[scope] {
		out = append(out, cmd)
	}
	return jsonOK(http.StatusOK, out)
}

func (s *Server) getCommand(c *call) response {
	if r := s.checkApp(c); r != nil {
		return *r
	}
	scope, id := commandParams(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.findCommand(scope, id)
	if i < 0 {
		return unknownCommand()
	}
	return jsonOK(http.StatusOK, s.commands[scope][i])
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
			return formError(fieldError(nil, "MODEL_TYPE_CONVERT", "Only iterables may be used in a ListType"))
		}
	}
	var errs []payload.FieldError
	cmds := make([]map[string]any, 0, len(list))
	for i, v := range list {
		m, ok := v.(map[string]any)
		if !ok {
			errs = append(errs, fieldError([]string{strconv.Itoa(i)}, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"))
			continue
		}
		if s.opts.Validate {
			errs = append(errs, payload.Command([]string{strconv.Itoa(i)}, m)...)
			for _, prev := range cmds {
				if sameCommand(prev, m) {
					errs = append(errs, fieldError([]string{strconv.Itoa(i), "name"}, "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique"))
				}
			}
		}
		cmds = append(cmds, m)
	}
	if len(errs) > 0 {
		return formError(errs...)
	}
	scope, _ := commandParams(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	stored := make([]map[string]any, 0, len(cmds))
	out := make([]any, 0, len(cmds))
	for _, m := range cmds {
		id := ""
		for _, old := range s.commands[scope] {
			if (payload.Str(m, "id") != "" && old["id"] == payload.Str(m, "id")) || sameCommand(old, m) {
				id = old["id"].(string)
				break
			}
		}
		if id == "" {
			id = s.flake()
		}
		in := make(map[string]any, len(m))
		for k, v := range m {
			if k != "id" {
				in[k] = v
			}
		}
		cmd := s.completeCommand(scope, id, in)
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
		return formError(fieldError(nil, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"))
	}
	if s.opts.Validate {
		if errs := payload.Command(nil, c.payload); len(errs) > 0 {
			return formError(errs...)
		}
	}
	scope, _ := commandParams(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, old := range s.commands[scope] {
		if sameCommand(old, c.payload) {
			cmd := s.completeCommand(scope, old["id"].(string), c.payload)
			s.commands[scope][i] = cmd
			return jsonOK(http.StatusOK, cmd)
		}
	}
	cmd := s.completeCommand(scope, s.flake(), c.payload)
	s.commands[scope] = append(s.commands[scope], cmd)
	return jsonOK(http.StatusCreated, cmd)
}

func (s *Server) patchCommand(c *call) response {
	if r := s.checkApp(c); r != nil {
		return *r
	}
	if c.payload == nil {
		return formError(fieldError(nil, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"))
	}
	scope, id := commandParams(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.findCommand(scope, id)
	if i < 0 {
		return unknownCommand()
	}
	merged := make(map[string]any, len(s.commands[scope][i]))
	for k, v := range s.commands[scope][i] {
		merged[k] = v
	}
	for k, v := range c.payload {
		switch k {
		case "id", "application_id", "version", "guild_id", "type":
			// Not editable.
		default:
			merged[k] = v
		}
	}
	if s.opts.Validate {
		if errs := payload.Command(nil, merged); len(errs) > 0 {
			return formError(errs...)
		}
	}
	for j, other := range s.commands[scope] {
		if j != i && sameCommand(other, merged) {
			return formError(fieldError([]string{"name"}, "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique"))
		}
	}
	merged["version"] = s.flake()
	s.commands[scope][i] = merged
	return jsonOK(http.StatusOK, merged)
}

func (s *Server) deleteCommand(c *call) response {
	if r := s.checkApp(c); r != nil {
		return *r
	}
	scope, id := commandParams(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.findCommand(scope, id)
	if i < 0 {
		return unknownCommand()
	}
	s.commands[scope] = append(s.commands[scope][:i:i], s.commands[scope][i+1:]...)
	return response{status: http.StatusNoContent}
}

// RegisteredCommands returns the application commands stored for a guild, or
// the global ones for "", as Discord echoes them (with id, application_id and
// version), in creation order.
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
