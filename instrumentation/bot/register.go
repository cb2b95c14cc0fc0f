package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/bwmarrin/discordgo"
)

// CommandKey identifies an application command within its scope: Discord
// keeps one command per type and name.
type CommandKey struct {
	Type discordgo.ApplicationCommandType `json:"type"`
	Name string                           `json:"name"`
}

// CommandLedger remembers which commands a Router registered in a scope, so
// that a later Register can delete the ones the Router no longer defines
// and never touches a command it did not register. scope is
// "<application id>" for global commands and "<application id>/<guild id>"
// for a guild's. Register calls it from one goroutine at a time, with the
// context it was given; an error from Registered stops the deletions, one
// from SetRegistered is returned.
type CommandLedger interface {
	// Registered returns the keys last saved for scope; none (and no
	// error) when nothing was saved.
	Registered(ctx context.Context, scope string) ([]CommandKey, error)
	// SetRegistered replaces the keys saved for scope.
	SetRegistered(ctx context.Context, scope string, keys []CommandKey) error
}

// Register makes the application's commands in one scope (the guild
// guildID, or the global commands when guildID is "") hold the Router's,
// and touches nothing else:
//
//   - It reads the scope's commands (GET .../commands).
//   - It creates each of the Router's commands that is missing, or updates
//     it when its definition differs (POST .../commands, which overwrites
//     the command of that type and name in place, keeping its id). An
//     unchanged command is not written, so a restart costs one read.
//   - It deletes, by id, the commands the ledger says this Router
//     registered in the scope before and no longer defines.
//   - It saves the Router's commands in the ledger.
//
// Commands of other types and names (the bot's own) are never written or
// deleted. With a nil ledger nothing is deleted. Unlike a bulk overwrite
// (PUT .../commands), which replaces every command of the scope, this
// leaves a bot's own commands alone. Call it once per start, not on every
// reconnect: Discord limits command creations per day. Errors never
// contain the token.
func (r *Router) Register(ctx context.Context, s *discordgo.Session, appID, guildID string, ledger CommandLedger) error {
	if s == nil {
		return errors.New("register commands: nil session")
	}
	if appID == "" {
		return errors.New("register commands: empty application id")
	}
	r.mu.RLock()
	defs := append([]*discordgo.ApplicationCommand(nil), r.defs...)
	r.mu.RUnlock()
	opt := discordgo.WithContext(ctx)
	existing, err := s.ApplicationCommands(appID, guildID, opt)
	if err != nil {
		return wrapErr("register commands: list", err)
	}
	byKey := make(map[CommandKey]*discordgo.ApplicationCommand, len(existing))
	for _, c := range existing {
		if c != nil {
			byKey[keyOf(c)] = c
		}
	}
	var errs []error
	owned := make([]CommandKey, 0, len(defs))
	for _, d := range defs {
		k := keyOf(d)
		owned = append(owned, k)
		if c := byKey[k]; c != nil && sameDefinition(d, c) {
			continue
		}
		if _, err := s.ApplicationCommandCreate(appID, guildID, d, opt); err != nil {
			errs = append(errs, wrapErr("register command "+d.Name, err))
		}
	}
	if ledger == nil {
		return errors.Join(errs...)
	}
	scope := appID
	if guildID != "" {
		scope += "/" + guildID
	}
	prev, err := ledger.Registered(ctx, scope)
	if err != nil {
		// Without the previous set nothing can be deleted safely; keep it
		// for the next start.
		errs = append(errs, fmt.Errorf("register commands: read registered commands: %w", err))
		return errors.Join(errs...)
	}
	keep := owned
	for _, k := range prev {
		c := byKey[k]
		if slices.Contains(owned, k) || c == nil {
			continue
		}
		if err := s.ApplicationCommandDelete(appID, guildID, c.ID, opt); err != nil {
			errs = append(errs, wrapErr("delete command "+k.Name, err))
			keep = append(keep, k) // try again next time
		}
	}
	if err := ledger.SetRegistered(ctx, scope, keep); err != nil {
		errs = append(errs, fmt.Errorf("register commands: save registered commands: %w", err))
	}
	return errors.Join(errs...)
}

// keyOf returns c's key; type 0 is CHAT_INPUT, as Discord defaults it.
func keyOf(c *discordgo.ApplicationCommand) CommandKey {
	t := c.Type
	if t == 0 {
		t = discordgo.ChatApplicationCommand
	}
	return CommandKey{Type: t, Name: c.Name}
}

// Fields of a command compared by sameDefinition. Discord fills the
// optional ones with defaults, so they are compared only when the
// definition sets them.
var (
	alwaysCompared   = []string{"type", "name", "description", "options", "default_member_permissions", "name_localizations", "description_localizations"}
	comparedWhenSet  = []string{"nsfw", "contexts", "integration_types", "dm_permission"}
	errNotComparable = errors.New("not comparable")
)

// sameDefinition reports whether the stored command c already is what def
// asks for, comparing their JSON with nulls, false, empty strings, empty
// lists and empty objects dropped (Discord and discordgo differ in which of
// those they send). When in doubt it reports false: an extra write is
// harmless.
func sameDefinition(def, c *discordgo.ApplicationCommand) bool {
	want, err := canonical(def)
	if err != nil {
		return false
	}
	got, err := canonical(c)
	if err != nil {
		return false
	}
	for _, k := range alwaysCompared {
		if !jsonEqual(want[k], got[k]) {
			return false
		}
	}
	for _, k := range comparedWhenSet {
		if v, ok := want[k]; ok && !jsonEqual(v, got[k]) {
			return false
		}
	}
	return true
}

// canonical returns c as pruned JSON values, with its type defaulted.
func canonical(c *discordgo.ApplicationCommand) (map[string]any, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	pruned, ok := prune(m).(map[string]any)
	if !ok {
		return nil, errNotComparable
	}
	if _, ok := pruned["type"]; !ok {
		pruned["type"] = float64(discordgo.ChatApplicationCommand)
	}
	return pruned, nil
}

// prune drops nulls, false, "" and empty lists and objects from v,
// recursively; it returns nil when nothing is left.
func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if p := prune(e); p == nil {
				delete(x, k)
			} else {
				x[k] = p
			}
		}
		if len(x) == 0 {
			return nil
		}
		return x
	case []any:
		out := x[:0]
		for _, e := range x {
			// Elements keep their place: an empty one stands for itself.
			if p := prune(e); p != nil {
				out = append(out, p)
			} else {
				out = append(out, map[string]any{})
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case bool:
		if !x {
			return nil
		}
	case string:
		if x == "" {
			return nil
		}
	case nil:
		return nil
	}
	return v
}

func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
