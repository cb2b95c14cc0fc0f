package agent

import (
	"github.com/nexusmon/nexusmon/instrumentation/bot"
	"github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/report"
)

// augment is the Reporter's Augment: it adds what the SDK's collection
// does not hold to the snapshot of a report of kind: the OTLP receiver's
// latest points (every kind), and for the command report the command
// instruments' count of invocations per guild and channel.
func (a *Agent) augment(kind report.Kind, s *report.Snapshot) {
	a.addReceived(s)
	if kind == report.EventCommands {
		a.addTopInvocations(s)
	}
}

// addTopInvocations replaces the per-guild and per-channel invocation
// counters of the command instruments in s by the instruments' own count
// (bot.Instruments.TopInvocations): the metric series name the first
// bot.MaxIDSeries ids and count the rest as "other", so a bot in more
// guilds than that would see "other" among its top guilds. The count's
// values are cumulative like the counters', so the command report takes
// the interval's invocations as the difference to its previous snapshot.
func (a *Agent) addTopInvocations(s *report.Snapshot) {
	if a.instr == nil {
		return
	}
	guilds, channels := a.instr.TopInvocations()
	if guilds == nil && channels == nil {
		return
	}
	put := func(name, key string, ids []bot.IDCount) {
		pts := make([]report.Point, 0, len(ids))
		for _, c := range ids {
			pts = append(pts, report.Point{Time: s.Time, Value: float64(c.Count),
				Attrs: map[string]string{names.AttrScope: names.ScopeBot, key: c.ID}})
		}
		s.Delete(name)
		if len(pts) > 0 {
			s.Add(name, "{invocation}", pts...)
		}
	}
	put(names.CommandGuildInvocations, names.AttrGuildID, guilds)
	put(names.CommandChanInvocations, names.AttrChannelID, channels)
}
