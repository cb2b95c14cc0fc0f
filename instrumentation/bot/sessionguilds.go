package bot

import "github.com/bwmarrin/discordgo"

// The SessionObserver's guild, user and channel counts.

// sessGuild is what the observer keeps of one available guild.
type sessGuild struct{ members, channels int64 }

func (o *SessionObserver) onGuildCreate(_ *discordgo.Session, e *discordgo.GuildCreate) {
	o.guildEvent(e.Guild, false)
}

func (o *SessionObserver) onGuildUpdate(_ *discordgo.Session, e *discordgo.GuildUpdate) {
	o.guildEvent(e.Guild, true)
}

func (o *SessionObserver) onGuildDelete(_ *discordgo.Session, e *discordgo.GuildDelete) {
	if e.Guild == nil {
		return
	}
	if o.stateOn() {
		o.refreshGuild(o.locked(func() string { return e.ID }))
		return
	}
	o.setGuild(e.ID, sessGuild{}, false)
}

func (o *SessionObserver) onChannelCreate(_ *discordgo.Session, e *discordgo.ChannelCreate) {
	o.channelEvent(e.Channel, 1)
}

func (o *SessionObserver) onChannelDelete(_ *discordgo.Session, e *discordgo.ChannelDelete) {
	o.channelEvent(e.Channel, -1)
}

// stateOn reports whether discordgo keeps guilds in s.State. Then event
// objects are shared with State, which mutates them in place under its
// lock, so everything is read from State under its read lock.
func (o *SessionObserver) stateOn() bool { return o.s.StateEnabled && o.s.State != nil }

// locked runs f under the State read lock.
func (o *SessionObserver) locked(f func() string) string {
	o.s.State.RLock()
	defer o.s.State.RUnlock()
	return f()
}

func (o *SessionObserver) guildEvent(g *discordgo.Guild, update bool) {
	if g == nil {
		return
	}
	if o.stateOn() {
		o.refreshGuild(o.locked(func() string { return g.ID }))
		return
	}
	// Without State, GUILD_UPDATE carries neither member_count nor
	// channels: keep what GUILD_CREATE said.
	o.mu.Lock()
	old, had := o.gs[g.ID]
	o.mu.Unlock()
	v := sessGuild{members: int64(g.MemberCount), channels: int64(len(g.Channels))}
	if update && had {
		if g.MemberCount == 0 {
			v.members = old.members
		}
		if g.Channels == nil {
			v.channels = old.channels
		}
	}
	o.setGuild(g.ID, v, !g.Unavailable)
}

func (o *SessionObserver) channelEvent(c *discordgo.Channel, delta int64) {
	if c == nil {
		return
	}
	if o.stateOn() {
		if id := o.locked(func() string { return c.GuildID }); id != "" {
			o.refreshGuild(id)
		}
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if g, ok := o.gs[c.GuildID]; ok {
		g.channels = max(g.channels+delta, 0)
		o.setGuildLocked(c.GuildID, g, true)
	}
}

// refreshGuild re-reads guild id from State. The observer's lock is held
// across the read, so of two events about one guild the later read wins
// whatever order discordgo's handler goroutines run in.
func (o *SessionObserver) refreshGuild(id string) {
	if id == "" {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	g, err := o.s.State.Guild(id)
	if err != nil {
		o.setGuildLocked(id, sessGuild{}, false)
		return
	}
	o.s.State.RLock()
	v := sessGuild{members: int64(g.MemberCount), channels: int64(len(g.Channels))}
	avail := !g.Unavailable
	o.s.State.RUnlock()
	o.setGuildLocked(id, v, avail)
}

// refreshAll rebuilds the guild table: from State when it is on, else from
// stubs (READY's unavailable guilds).
func (o *SessionObserver) refreshAll(stubs []*discordgo.Guild) {
	o.mu.Lock()
	defer o.mu.Unlock()
	gs := make(map[string]sessGuild)
	if o.stateOn() {
		o.s.State.RLock()
		for _, g := range o.s.State.Guilds {
			if g != nil && !g.Unavailable {
				gs[g.ID] = sessGuild{members: int64(g.MemberCount), channels: int64(len(g.Channels))}
			}
		}
		o.s.State.RUnlock()
	} else {
		for _, g := range stubs {
			if g != nil && !g.Unavailable {
				gs[g.ID] = sessGuild{members: int64(g.MemberCount), channels: int64(len(g.Channels))}
			}
		}
	}
	o.gs = gs
	o.sumMembers, o.sumChannels = 0, 0
	for _, g := range gs {
		o.sumMembers += g.members
		o.sumChannels += g.channels
	}
	o.publishLocked()
}

func (o *SessionObserver) setGuild(id string, v sessGuild, avail bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.setGuildLocked(id, v, avail)
}

func (o *SessionObserver) setGuildLocked(id string, v sessGuild, avail bool) {
	if old, ok := o.gs[id]; ok {
		o.sumMembers -= old.members
		o.sumChannels -= old.channels
		delete(o.gs, id)
	}
	if avail {
		o.gs[id] = v
		o.sumMembers += v.members
		o.sumChannels += v.channels
	}
	o.publishLocked()
}

func (o *SessionObserver) publishLocked() {
	o.guilds.Store(int64(len(o.gs)))
	o.users.Store(o.sumMembers)
	o.channels.Store(o.sumChannels)
	o.notify()
}
