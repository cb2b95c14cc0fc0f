package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/bwmarrin/discordgo"

	"github.com/nexusmon/nexusmon/instrumentation/bot/internal/cmddef"
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
		if c := byKey[k]; c != nil && cmddef.Same(d, c) {
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
