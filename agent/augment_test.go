package agent

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/instrumentation/bot"
	"github.com/nexusmon/nexusmon/internal/discordtest"
)

// A bot in more guilds than the metric series name (bot.MaxIDSeries): the
// command report's top guilds and channels still name the busiest ones
// by id, not "other", and count only the report's interval.
func TestAgent_topGuildsBeyondSeriesLimit(t *testing.T) {
	srv := fakeDiscord(t)
	_, _, hook := srv.CreateWebhook(discordtest.DefaultChannelID)
	cfg := testConfig(t)
	cfg.Discord.WebhookURL = config.Secret(hook)
	cfg.Reports.Commands.Interval = 2 * time.Second
	cfg.Receiver.OTLP.HTTP = "127.0.0.1:0" // the command instruments, without a bot session
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, _ := startAgent(t, cfg)
	in := a.Instruments()
	if in == nil {
		t.Fatal("no command instruments")
	}
	id := func(i int) string { return strconv.Itoa(800000000000000000 + i) }
	invoke := func(guild, channel string) {
		now := time.Now()
		in.RecordInvocation(bot.Invocation{Command: "play", Module: "music", GuildID: guild, ChannelID: channel,
			Start: now.Add(-10 * time.Millisecond), End: now})
	}
	// The first bot.MaxIDSeries guilds and channels take the series, once each.
	for i := range bot.MaxIDSeries {
		invoke(id(i), id(10000+i))
	}
	busy, busyChan := id(bot.MaxIDSeries+7), id(20000)
	for range 3 {
		invoke(busy, busyChan)
	}

	type top struct {
		ID          string `json:"id"`
		Invocations uint64 `json:"invocations"`
	}
	var rep struct {
		Data struct {
			TopGuilds   []top `json:"top_guilds"`
			TopChannels []top `json:"top_channels"`
		} `json:"data"`
	}
	ch := discordtest.DefaultChannelID
	seen := 0
	waitFor(t, 30*time.Second, "a command report with the busy guild", func() bool {
		for _, m := range titled(srv.Messages(ch), "Command Performance")[seen:] {
			seen++
			if err := json.Unmarshal(m.Files[0].Data, &rep); err != nil {
				t.Fatal(err)
			}
			if len(rep.Data.TopGuilds) > 0 && rep.Data.TopGuilds[0].ID == busy {
				return true
			}
		}
		return false
	})
	if g := rep.Data.TopGuilds[0]; g.Invocations != 3 {
		t.Errorf("top guild %+v, want %s with 3 invocations", g, busy)
	}
	if len(rep.Data.TopChannels) == 0 || rep.Data.TopChannels[0] != (top{ID: busyChan, Invocations: 3}) {
		t.Errorf("top channels %+v, want %s with 3 first", rep.Data.TopChannels, busyChan)
	}
	for _, g := range append(rep.Data.TopGuilds, rep.Data.TopChannels...) {
		if g.ID == bot.OtherID {
			t.Errorf("top list names %q: %+v", bot.OtherID, rep.Data)
		}
	}

	// The next interval counts only its own invocations.
	invoke(busy, busyChan)
	waitFor(t, 30*time.Second, "the next command report", func() bool {
		for _, m := range titled(srv.Messages(ch), "Command Performance")[seen:] {
			seen++
			if err := json.Unmarshal(m.Files[0].Data, &rep); err != nil {
				t.Fatal(err)
			}
			if len(rep.Data.TopGuilds) > 0 {
				return true
			}
		}
		return false
	})
	if len(rep.Data.TopGuilds) != 1 || rep.Data.TopGuilds[0] != (top{ID: busy, Invocations: 1}) {
		t.Errorf("next interval's top guilds %+v, want only %s with 1", rep.Data.TopGuilds, busy)
	}
}
