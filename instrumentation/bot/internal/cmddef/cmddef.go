// Package cmddef compares an application command's definition with the
// command Discord stores, so that registration writes only what changed.
// It imports discordgo and the standard library only.
package cmddef

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/bwmarrin/discordgo"
)

// Fields of a command compared by Same. Discord fills the
// optional ones with defaults, so they are compared only when the
// definition sets them.
var (
	alwaysCompared   = []string{"type", "name", "description", "options", "default_member_permissions", "name_localizations", "description_localizations"}
	comparedWhenSet  = []string{"nsfw", "contexts", "integration_types", "dm_permission"}
	errNotComparable = errors.New("not comparable")
)

// Same reports whether the stored command c already is what def
// asks for, comparing their JSON with nulls, false, empty strings, empty
// lists and empty objects dropped (Discord and discordgo differ in which of
// those they send). When in doubt it reports false: an extra write is
// harmless.
func Same(def, c *discordgo.ApplicationCommand) bool {
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
