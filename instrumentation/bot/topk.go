package bot

import "github.com/nexusmon/nexusmon/internal/topk"

// MaxTopIDs is how many guild (and channel) ids the command instruments
// count for the command report's top guilds and channels (TopInvocations).
// The metric series stop at MaxIDSeries ids and count the rest as OtherID;
// this count does not: it keeps the MaxTopIDs busiest ids of the whole run
// (Space-Saving, see internal/topk), so the busiest guilds of a bot in
// thousands of guilds are always there.
const MaxTopIDs = 1000

// IDCount is one guild or channel id with the invocations counted for it.
// Count is exact for an id counted since its first invocation, and a lower
// bound for one that took the place of a less busy id once MaxTopIDs ids
// were counted (its invocations before that are not known).
type IDCount = topk.Count

// countIDs counts an invocation in its guild and channel. The counters are
// recorded without the span's context: exemplars are kept for the duration
// histograms, where a trace id explains a slow command; on counters they
// would only cost a clock read each.
func (in *Instruments) countIDs(guildID, channelID string) {
	if guildID != "" {
		in.guildInv.Add(bg, 1, in.guilds.opts(guildID)...)
		if in.topGuilds != nil {
			in.topGuilds.Add(guildID)
		}
	}
	if channelID != "" {
		in.chanInv.Add(bg, 1, in.chans.opts(channelID)...)
		if in.topChans != nil {
			in.topChans.Add(channelID)
		}
	}
}

// TopInvocations returns the invocations counted per guild and per channel
// since the instruments were made, busiest first, up to MaxTopIDs ids each
// (see IDCount for when a count is a lower bound). The command report lists
// its top guilds and channels from these rather than from the metric series,
// which name only the first MaxIDSeries ids. Nil instruments return nothing.
func (in *Instruments) TopInvocations() (guilds, channels []IDCount) {
	if in == nil || in.topGuilds == nil {
		return nil, nil
	}
	return in.topGuilds.Top(), in.topChans.Top()
}
