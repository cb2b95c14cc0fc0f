package deliver

import (
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/report/reportdata"
)
import "github.com/nexusmon/nexusmon/internal/discordapi"

// Batch merges payloads that are due together into as few messages as
// Discord's limits allow, keeping their order: each message carries a run of
// consecutive payloads, their embeds and files concatenated and their
// content joined by a newline, as long as the result passes CheckLimits
// (≤ 10 embeds, 6000 code points over all embeds, ≤ 10 files, 25 MiB, ...).
// One payload's embeds are never split across messages, and a payload that
// is at a limit on its own stays alone. Greedy packing of consecutive runs is
// optimal here: every limit only gets easier when a payload is removed.
//
// Payloads merge only when their Flags are equal and their file names do
// not collide (an embed's "attachment://name" must stay unambiguous). Merged
// messages carry NoMentions(). Batch does not modify ps; file data is shared.
// Edits of live messages must not be batched: pass only new posts.
func Batch(ps []render.Payload) []render.Payload {
	out := make([]render.Payload, 0, len(ps))
	for _, p := range ps {
		if n := len(out); n > 0 {
			if m, ok := merge(&out[n-1], &p); ok {
				out[n-1] = m
				continue
			}
		}
		p.Embeds = append([]render.Embed(nil), p.Embeds...)
		p.Files = append([]reportdata.File(nil), p.Files...)
		out = append(out, p)
	}
	return out
}

// merge returns a and b as one message, or false when that message would
// break a limit or be ambiguous.
func merge(a, b *render.Payload) (render.Payload, bool) {
	if a.Flags != b.Flags || len(a.Embeds)+len(b.Embeds) > discordapi.MaxEmbeds || len(a.Files)+len(b.Files) > discordapi.MaxFiles {
		return render.Payload{}, false
	}
	names := make(map[string]bool, len(a.Files))
	for _, f := range a.Files {
		names[f.Name] = true
	}
	for _, f := range b.Files {
		if names[f.Name] {
			return render.Payload{}, false
		}
	}
	m := render.Payload{
		Content:         a.Content,
		Embeds:          append(append(make([]render.Embed, 0, len(a.Embeds)+len(b.Embeds)), a.Embeds...), b.Embeds...),
		AllowedMentions: render.NoMentions(),
		Flags:           a.Flags,
		Files:           append(append(make([]reportdata.File, 0, len(a.Files)+len(b.Files)), a.Files...), b.Files...),
	}
	switch {
	case m.Content == "":
		m.Content = b.Content
	case b.Content != "":
		m.Content += "\n" + b.Content
	}
	if render.CheckLimits(&m) != nil {
		return render.Payload{}, false
	}
	return m, true
}
