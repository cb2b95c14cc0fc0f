package bot_test

import (
	"log"
	"os"

	"github.com/bwmarrin/discordgo"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/nexusmon/nexusmon/instrumentation/bot"
)

// A bot that routes interactions itself wraps each of its handlers: every
// call becomes a traced, measured invocation, and NewTransport on the
// session's client measures its REST calls and notices the first response
// however it is sent.
func ExampleInstruments_Wrap() {
	mp := sdkmetric.NewMeterProvider() // add readers/exporters here
	tp := sdktrace.NewTracerProvider() // and a span exporter here
	in, err := bot.NewInstruments(mp, tp, bot.InstrumentOptions{
		OnError: func(ev bot.ErrorEvent) {
			log.Printf("command %s failed: %s (%s)", ev.Command, ev.Message, ev.ErrorType)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		if err := in.Close(); err != nil {
			log.Print(err)
		}
	}()

	s, err := discordgo.New("Bot " + os.Getenv("DISCORD_TOKEN"))
	if err != nil {
		log.Fatal(err)
	}
	s.Client.Transport = bot.NewTransport(s.Client.Transport, in)

	ping := in.Wrap("utility", "ping", func(c *bot.Context) error {
		return c.Respond(&discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "pong"},
		})
	})
	s.AddHandler(func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		if i.Type != discordgo.InteractionApplicationCommand {
			return
		}
		if i.ApplicationCommandData().Name == "ping" {
			ping(s, i)
		}
	})
	// s.Open(), wait for a signal, s.Close().
}

// A bot built on Router declares modules, registers their commands once and
// lets the Router dispatch.
func ExampleRouter() {
	in, err := bot.NewInstruments(nil, nil, bot.InstrumentOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		if err := in.Close(); err != nil {
			log.Print(err)
		}
	}()
	r := bot.NewRouter(in)
	err = r.Add(bot.Module{Name: "monitor", Commands: []bot.Command{{
		Definition: &discordgo.ApplicationCommand{
			Name:        "nexus",
			Description: "Nexus monitor",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "status", Description: "Current status"},
			},
		},
		Subcommands: map[string]bot.Handler{
			"status": func(c *bot.Context) error {
				if err := c.Defer(true); err != nil {
					return err
				}
				_, err := c.Followup(&discordgo.WebhookParams{Content: "all good"})
				return err
			},
		},
	}}})
	if err != nil {
		log.Fatal(err)
	}
	s, err := discordgo.New("Bot " + os.Getenv("DISCORD_TOKEN"))
	if err != nil {
		log.Fatal(err)
	}
	s.AddHandler(r.Handle)
	// After s.Open(): r.Register(ctx, s, s.State.User.ID, guildID, ledger),
	// with a CommandLedger that remembers what it registered.
}
