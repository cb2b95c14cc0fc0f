package agent_test

import (
	"context"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/bwmarrin/discordgo"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/nexusmon/nexusmon/agent"
	"github.com/nexusmon/nexusmon/instrumentation/bot"
)

// A Go bot gets nexusmon in a few lines: its own discordgo session is
// instrumented (guilds, users, latency, reconnects, REST calls), its
// commands are traced, and reports land in its performance channel.
func Example_goBot() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	s, err := discordgo.New("Bot " + os.Getenv("DISCORD_TOKEN"))
	if err != nil {
		log.Fatal(err)
	}
	cfg := agent.DefaultConfig() // or agent.LoadConfig("nexusmon.yaml")
	cfg.Discord.Token = agent.Secret(os.Getenv("DISCORD_TOKEN"))
	cfg.Discord.ChannelID = os.Getenv("PERFORMANCE_CHANNEL_ID")
	cfg.Discord.GuildID = os.Getenv("GUILD_ID") // guild commands update at once

	a, err := agent.New(ctx, cfg, agent.WithSession(s))
	if err != nil {
		log.Fatal(err)
	}

	// Commands routed by nexusmon are traced and registered together with
	// /nexus (one bulk overwrite when the session is ready).
	err = a.Router().Add(bot.Module{Name: "fun", Commands: []bot.Command{{
		Definition: &discordgo.ApplicationCommand{Name: "ping", Description: "Answers pong"},
		Handler: func(c *bot.Context) error {
			return c.Respond(&discordgo.InteractionResponse{
				Type: discordgo.InteractionResponseChannelMessageWithSource,
				Data: &discordgo.InteractionResponseData{Content: "pong"},
			})
		},
	}}})
	if err != nil {
		log.Fatal(err)
	}

	if err := a.Start(ctx); err != nil { // before Open: the gateway connection is measured
		log.Fatal(err)
	}
	if err := s.Open(); err != nil {
		log.Fatal(err)
	}
	<-ctx.Done()

	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Stop(stopCtx); err != nil { // the outbox keeps what was not delivered
		log.Print(err)
	}
	s.ShouldReconnectOnError = false
	if err := s.Close(); err != nil {
		log.Print(err)
	}
}

// A bot that dispatches interactions itself wraps each handler: every call
// becomes a traced, measured invocation. Pass WithoutCommandRegistration
// when the bot registers its own commands.
func Example_wrapOwnHandlers() {
	ctx := context.Background()
	s, err := discordgo.New("Bot " + os.Getenv("DISCORD_TOKEN"))
	if err != nil {
		log.Fatal(err)
	}
	a, err := agent.New(ctx, agent.DefaultConfig(), agent.WithSession(s), agent.WithoutCommandRegistration())
	if err != nil {
		log.Fatal(err)
	}
	handlers := map[string]func(*discordgo.Session, *discordgo.InteractionCreate){
		"roll": a.Wrap("games", "roll", func(c *bot.Context) error {
			return c.Respond(&discordgo.InteractionResponse{
				Type: discordgo.InteractionResponseChannelMessageWithSource,
				Data: &discordgo.InteractionResponseData{Content: "4"},
			})
		}),
	}
	s.AddHandler(func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		if i.Type != discordgo.InteractionApplicationCommand {
			return
		}
		if h, ok := handlers[i.ApplicationCommandData().Name]; ok {
			h(s, i)
		}
	})
	if err := a.Start(ctx); err != nil {
		log.Fatal(err)
	}
	if err := s.Open(); err != nil {
		log.Fatal(err)
	}
}

// A bot that already runs the OpenTelemetry SDK builds its MeterProvider
// with nexusmon's readers and gives nexusmon its TracerProvider: one SDK,
// one /metrics (on the bot's own server), command spans in the bot's traces.
// The bot shuts its providers down after Stop.
func Example_ownOpenTelemetrySDK() {
	ctx := context.Background()
	res := resource.NewSchemaless(attribute.String("service.name", "mybot"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res))
	var mp *sdkmetric.MeterProvider

	cfg := agent.DefaultConfig()
	cfg.HTTP.Listen = "" // no listener of nexusmon's: the bot serves /metrics
	a, err := agent.New(ctx, cfg,
		agent.WithTracerProvider(tp),
		agent.WithMeterProvider(func(readers []sdkmetric.Reader) *sdkmetric.MeterProvider {
			opts := []sdkmetric.Option{sdkmetric.WithResource(res)} // and the bot's own readers
			for _, r := range readers {
				opts = append(opts, sdkmetric.WithReader(r))
			}
			mp = sdkmetric.NewMeterProvider(opts...)
			return mp
		}),
	)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", a.MetricsHandler()) // the bot's instruments and nexusmon's
	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.ListenAndServe() }()
	if err := a.Start(ctx); err != nil {
		log.Fatal(err)
	}

	// … the bot runs …

	stopCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := a.Stop(stopCtx); err != nil { // nexusmon first: it leaves the providers running
		log.Print(err)
	}
	_ = srv.Shutdown(stopCtx)
	_ = mp.Shutdown(stopCtx) // stops nexusmon's readers with the bot's
	_ = tp.Shutdown(stopCtx)
}
