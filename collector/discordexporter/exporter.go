package discordexporter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/nexusmon/nexusmon/collector/discordexporter/internal/fleet"
	"github.com/nexusmon/nexusmon/deliver"
	"github.com/nexusmon/nexusmon/deliver/discord"
	"github.com/nexusmon/nexusmon/report"
)

// shutdownDrain bounds how long Shutdown keeps delivering: what is left
// stays in the storage for the next start (lost without a storage
// extension).
const shutdownDrain = 5 * time.Second

// discordExporter turns the metrics of a fleet of nexusmon agents (or any
// OTel-instrumented bot) into fleet reports and per-instance alerts in a
// Discord channel, through nexusmon's report, render and deliver packages.
type discordExporter struct {
	cfg *Config
	set exporter.Settings
	log *slog.Logger
	now func() time.Time

	// newSender builds the Discord sender; tests may replace it.
	newSender func(*Config, *slog.Logger) (discord.Sender, error)
	// tickEvery is the overview interval, commandsEvery and healthEvery
	// those of the fleet command analysis and fleet health; tests may
	// shorten them.
	tickEvery, commandsEvery, healthEvery time.Duration

	mu       sync.Mutex
	client   storage.Client
	delivery *deliver.Delivery
	fleet    *fleet.Fleet
	cancel   context.CancelFunc
	done     chan struct{}
}

func newExporter(cfg *Config, set exporter.Settings) (*discordExporter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &discordExporter{cfg: cfg, set: set, log: slogOf(set.Logger), now: time.Now,
		newSender: newSender, tickEvery: cfg.Reports.Overview.Interval,
		commandsEvery: cfg.Reports.Commands.Interval, healthEvery: cfg.Reports.Health.Interval}, nil
}

// newSender returns the bot sender (token and channel id) or the webhook
// sender of cfg.
func newSender(cfg *Config, log *slog.Logger) (discord.Sender, error) {
	d := cfg.Discord
	if d.WebhookURL != "" {
		return discord.NewWebhookSender(string(d.WebhookURL), discord.WebhookOptions{Logger: log})
	}
	return discord.NewBotSender(string(d.Token), d.ChannelID, d.APIURL, discord.BotOptions{Logger: log})
}

// storageClient returns the client of the configured storage extension,
// or an in-memory one.
func (e *discordExporter) storageClient(ctx context.Context, host component.Host) (storage.Client, error) {
	if e.cfg.Storage == nil {
		return newMemClient(), nil
	}
	ext, ok := host.GetExtensions()[*e.cfg.Storage]
	if !ok {
		return nil, fmt.Errorf("storage %s: no such extension in the service", e.cfg.Storage)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("storage %s: not a storage extension", e.cfg.Storage)
	}
	c, err := se.GetClient(ctx, component.KindExporter, e.set.ID, "")
	if err != nil {
		return nil, fmt.Errorf("storage %s: %w", e.cfg.Storage, err)
	}
	return c, nil
}

// start opens the storage, reads back the outbox and the fleet's state,
// and starts the delivery and the overview ticker.
func (e *discordExporter) start(ctx context.Context, host component.Host) (err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	client, err := e.storageClient(ctx, host)
	if err != nil {
		return fmt.Errorf("start discord exporter: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, client.Close(context.WithoutCancel(ctx)))
		}
	}()
	ob, err := openOutbox(ctx, client, e.now)
	if err != nil {
		return fmt.Errorf("start discord exporter: %w", err)
	}
	sender, err := e.newSender(e.cfg, e.log)
	if err != nil {
		return fmt.Errorf("start discord exporter: %w", err)
	}
	d, err := deliver.NewDelivery(ob, sender, deliver.DeliveryOptions{Logger: e.log, Now: e.now, MeterProvider: e.set.MeterProvider})
	if err != nil {
		return fmt.Errorf("start discord exporter: %w", err)
	}
	f, err := fleet.New(ctx, e.cfg.fleetConfig(), deliver.ReportQueue(d), ob, e.now, e.log)
	if err != nil {
		return fmt.Errorf("start discord exporter: %w", err)
	}
	// The loops outlive Start's context: they run until Shutdown.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d.Start(runCtx)
	e.client, e.delivery, e.fleet, e.cancel, e.done = client, d, f, cancel, make(chan struct{})
	go e.loop(runCtx, e.done)
	return nil
}

// loop runs the fleet's Tick every overview interval, and the fleet
// command analysis and the fleet health report each on its own interval
// (not at all when its mode is off).
func (e *discordExporter) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(e.tickEvery)
	defer t.Stop()
	every := func(mode report.Mode, d time.Duration) <-chan time.Time {
		if mode == report.ModeOff {
			return nil
		}
		tk := time.NewTicker(d)
		context.AfterFunc(ctx, tk.Stop)
		return tk.C
	}
	cmds := every(e.cfg.Reports.Commands.Mode, e.commandsEvery)
	hlth := every(e.cfg.Reports.Health.Mode, e.healthEvery)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := e.fleet.Tick(ctx); err != nil {
				e.log.Warn("fleet reports", "err", err)
			}
		case <-cmds:
			if err := e.fleet.CommandsTick(ctx); err != nil {
				e.log.Warn("fleet command analysis", "err", err)
			}
		case <-hlth:
			if err := e.fleet.HealthTick(ctx); err != nil {
				e.log.Warn("fleet health", "err", err)
			}
		}
	}
}

// consume adapts one export and hands it to the fleet. It never waits on
// Discord. Failures to queue a report or an alert are logged and do not
// fail the export: the data was taken, and retrying it would change
// nothing (a snapshot already seen is ignored).
func (e *discordExporter) consume(ctx context.Context, md pmetric.Metrics) error {
	e.mu.Lock()
	f := e.fleet
	e.mu.Unlock()
	if f == nil {
		return errors.New("discord exporter: not started")
	}
	if err := f.Observe(ctx, fromPdata(md, e.cfg.GroupBy)); err != nil {
		e.log.Warn("fleet export", "err", err)
	}
	return nil
}

// shutdown stops the ticker, delivers what it can within shutdownDrain
// (the rest stays in the storage), and closes the storage client.
func (e *discordExporter) shutdown(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cancel == nil {
		return nil
	}
	e.cancel()
	<-e.done
	var errs []error
	dctx, cancel := context.WithTimeout(ctx, shutdownDrain)
	if err := e.delivery.Stop(dctx); err != nil {
		e.log.Info("discord exporter stopped with messages queued", "err", err)
	}
	cancel()
	if err := e.client.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("close storage: %w", err))
	}
	e.cancel, e.client, e.delivery, e.fleet = nil, nil, nil, nil
	return errors.Join(errs...)
}
