package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/instrumentation/probe"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// Reload applies a new configuration to a running agent without a restart:
// nothing queued or persisted is touched (the store, the outbox, the
// delivery and the alert states stay), and a reload never stops the agent.
//
// Reloaded: thresholds.*, alerts.*, reports.*.mode, probes.*,
// discord.silent_reports, http.remote_reload, http.pprof and log.level (when the agent
// was given WithLogLevel). Every other key needs a restart (restartKeys):
// a change to one is logged as "config key needs a restart" and the running
// value is kept, while the reloadable keys of the same file still apply.

// reloadState is the Agent's part for reloads.
type reloadState struct {
	// reloadMu serialises Reload, and the prober swap against Stop.
	reloadMu sync.Mutex
	// live is the configuration in effect: a.cfg with the reloaded keys.
	live     atomic.Pointer[config.Config]
	probeCtx context.Context // the probes' context, set by Start
}

// WithLogLevel lets Reload (and New) set level from log.level. Without it
// log.level is ignored: the caller's logger decides.
func WithLogLevel(level *slog.LevelVar) Option { return func(o *options) { o.level = level } }

// WithConfigFile names the file the configuration came from ("" for the
// embedded defaults). The start-up line names it, and ReloadConfigFile
// (SIGHUP, POST /-/reload) reads it again. Without it the agent cannot
// reload from a file.
func WithConfigFile(path string) Option {
	return func(o *options) { o.configFile, o.hasConfigFile = path, true }
}

// errNoConfigFile is ReloadConfigFile's error without WithConfigFile.
var errNoConfigFile = errors.New("reload: the agent was built without agent.WithConfigFile")

// restartKey is a key (or group of keys) only a restart changes, with how
// to read it from a Config and how to keep the running value.
type restartKey struct {
	key  string
	get  func(c *config.Config) any
	keep func(dst, src *config.Config)
}

// restartKeys are every key Reload does not apply: the Discord credentials
// and destination (the sender, the delivery and the gateway session are
// built from them), the store, the outputs, the HTTP listener's address,
// OTLP (exporters and the resource), the OTLP receiver, the watched
// process and fleet.* (the resource is fixed when the providers are built). Report
// intervals are reloaded: the report readers run on the agent's own
// schedule (schedule.go).
var restartKeys = func() []restartKey {
	k := func(key string, get func(c *config.Config) any, keep func(dst, src *config.Config)) restartKey {
		return restartKey{key, get, keep}
	}
	ks := []restartKey{
		k("discord.token", func(c *config.Config) any { return c.Discord.Token }, func(d, s *config.Config) { d.Discord.Token = s.Discord.Token }),
		k("discord.token_file", func(c *config.Config) any { return c.Discord.TokenFile }, func(d, s *config.Config) { d.Discord.TokenFile = s.Discord.TokenFile }),
		k("discord.channel_id", func(c *config.Config) any { return c.Discord.ChannelID }, func(d, s *config.Config) { d.Discord.ChannelID = s.Discord.ChannelID }),
		k("discord.webhook_url", func(c *config.Config) any { return c.Discord.WebhookURL }, func(d, s *config.Config) { d.Discord.WebhookURL = s.Discord.WebhookURL }),
		k("discord.api_url", func(c *config.Config) any { return c.Discord.APIURL }, func(d, s *config.Config) { d.Discord.APIURL = s.Discord.APIURL }),
		k("discord.guild_id", func(c *config.Config) any { return c.Discord.GuildID }, func(d, s *config.Config) { d.Discord.GuildID = s.Discord.GuildID }),
		k("discord.record_user_ids", func(c *config.Config) any { return c.Discord.RecordUserIDs }, func(d, s *config.Config) { d.Discord.RecordUserIDs = s.Discord.RecordUserIDs }),
		k("process", func(c *config.Config) any { return c.Process }, func(d, s *config.Config) { d.Process = s.Process }),
		k("storage", func(c *config.Config) any { return c.Storage }, func(d, s *config.Config) { d.Storage = s.Storage }),
		k("output", func(c *config.Config) any { return c.Output }, func(d, s *config.Config) { d.Output = s.Output }),
		k("http.listen", func(c *config.Config) any { return c.HTTP.Listen }, func(d, s *config.Config) { d.HTTP.Listen = s.HTTP.Listen }),
		k("otlp", func(c *config.Config) any { return c.OTLP }, func(d, s *config.Config) { d.OTLP = s.OTLP }),
		k("receiver", func(c *config.Config) any { return c.Receiver }, func(d, s *config.Config) { d.Receiver = s.Receiver }),
		k("fleet", func(c *config.Config) any { return c.Fleet }, func(d, s *config.Config) { d.Fleet = s.Fleet }),
	}
	return ks
}()

// Config returns the configuration in effect (after reloads). The caller
// must not change it.
func (a *Agent) Config() *Config {
	if c := a.live.Load(); c != nil {
		return c
	}
	return a.cfg
}

// Reload validates cfg and applies its reloadable keys (see the comment at
// the top of reload.go). An invalid cfg changes nothing and the error lists
// every problem. Keys that need a restart keep their running values; their
// names are returned in restart and logged.
func (a *Agent) Reload(ctx context.Context, cfg *Config) (restart []string, err error) {
	if cfg == nil {
		return nil, errors.New("reload: nil config")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("reload: invalid config: %w", err)
	}
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	a.bgMu.Lock()
	stopping := a.stopping
	a.bgMu.Unlock()
	if stopping {
		return nil, errors.New("reload: the agent is stopping")
	}
	old := a.Config()
	next := *cfg
	next.Probes.Internet = slices.Clone(cfg.Probes.Internet)
	for _, k := range restartKeys {
		if !reflect.DeepEqual(k.get(old), k.get(&next)) {
			restart = append(restart, k.key)
			k.keep(&next, old)
		}
	}
	for _, k := range restart {
		a.log.Warn("config key needs a restart; keeping the running value", "key", k)
	}
	if !reflect.DeepEqual(old.Probes, next.Probes) && a.probeCtx != nil {
		if err := a.swapProbes(next.Probes); err != nil {
			return restart, fmt.Errorf("reload: %w", err)
		}
	}
	a.reporter.Reconfigure(reporterSettings(&next))
	for _, rc := range reportIntervals(&next) {
		if r := a.reports[rc.event]; r != nil {
			r.setInterval(rc.interval)
		}
	}
	if a.opts.level != nil {
		if err := a.opts.level.UnmarshalText([]byte(next.Log.Level)); err != nil {
			return restart, fmt.Errorf("reload: log.level: %w", err) // unreachable: validated
		}
	}
	a.live.Store(&next)
	a.log.Info("config reloaded", "changed", changedKeys(old, &next), "needs_restart", restart)
	return restart, nil
}

// ReloadConfigFile reads the file named by WithConfigFile again (the
// embedded defaults when it named none) and applies it with Reload. When
// the file is invalid it logs every problem at error level, keeps the
// running configuration and returns the problems.
func (a *Agent) ReloadConfigFile(ctx context.Context) ([]string, error) {
	if !a.opts.hasConfigFile {
		return nil, errNoConfigFile
	}
	cfg, err := LoadConfigFile(a.opts.configFile)
	if err == nil {
		return a.Reload(ctx, cfg)
	}
	if ps := config.Problems(err); len(ps) > 0 {
		for _, p := range ps {
			a.log.Error("config reload refused", "problem", p.Error())
		}
	} else {
		a.log.Error("config reload refused", "err", err)
	}
	a.log.Error("config reload refused; the running configuration is kept", "file", configFileName(a.opts.configFile))
	return nil, fmt.Errorf("reload: %w", err)
}

// LoadConfigFile is LoadConfig, or the embedded defaults (checked like a
// file named "(defaults)") when path is "": what `nexusmon run` loads.
func LoadConfigFile(path string) (*Config, error) {
	if path == "" {
		return config.Parse(nil, "(defaults)")
	}
	return config.Load(path)
}

func configFileName(path string) string {
	if path == "" {
		return "(defaults)"
	}
	return path
}

// reporterSettings are the Reporter settings of cfg.
func reporterSettings(cfg *config.Config) report.Settings {
	return report.Settings{
		Thresholds: thresholds(cfg),
		Modes: map[reportdata.Kind]reportdata.Mode{
			reportdata.EventSystem:   cfg.Reports.System.Mode,
			reportdata.EventNetwork:  cfg.Reports.Network.Mode,
			reportdata.EventMemory:   cfg.Reports.Memory.Mode,
			reportdata.EventCommands: cfg.Reports.Commands.Mode,
			reportdata.EventHealth:   cfg.Reports.Health.Mode,
		},
		Alerts:        report.AlertOptions{For: cfg.Alerts.For, RepeatInterval: cfg.Alerts.RepeatInterval, Hysteresis: cfg.Alerts.Hysteresis},
		SilentReports: cfg.Discord.SilentReports,
	}
}

// startProbes starts the probes of p (none when p has no target or for
// test-report) and remembers ctx for reloads.
func (a *Agent) startProbes(ctx context.Context, p config.Probes) error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	a.probeCtx = ctx
	pr, err := a.newProber(p)
	if err != nil || pr == nil {
		return err
	}
	a.prober = pr
	a.prober.Start(ctx)
	return nil
}

func (a *Agent) newProber(p config.Probes) (*probe.Prober, error) {
	targets := probeTargets(p)
	if len(targets) == 0 || a.opts.checksOnly {
		return nil, nil
	}
	pr, err := probe.New(a.mp, probe.Options{Targets: targets, Timeout: p.Timeout, Interval: p.Interval, Logger: a.log})
	if err != nil {
		return nil, fmt.Errorf("start probes: %w", err)
	}
	return pr, nil
}

// swapProbes replaces the running probes with those of p; on failure the
// old ones keep running. The caller holds reloadMu.
func (a *Agent) swapProbes(p config.Probes) error {
	pr, err := a.newProber(p)
	if err != nil {
		return err
	}
	if a.prober != nil {
		if err := a.prober.Close(); err != nil {
			a.log.Warn("stop probes for reload", "err", err)
		}
	}
	a.prober = pr
	if pr != nil {
		pr.Start(a.probeCtx)
	}
	return nil
}

// stopProbes stops the probes for Stop.
func (a *Agent) stopProbes() error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	if a.prober == nil {
		return nil
	}
	if err := a.prober.Close(); err != nil {
		return fmt.Errorf("stop probes: %w", err)
	}
	return nil
}

// changedKeys names the reloadable keys (or sections) whose values differ
// between old and next.
func changedKeys(old, next *config.Config) []string {
	var out []string
	for _, c := range []struct {
		key  string
		a, b any
	}{
		{"thresholds", old.Thresholds, next.Thresholds},
		{"alerts", old.Alerts, next.Alerts},
		{"reports", old.Reports, next.Reports},
		{"probes", old.Probes, next.Probes},
		{"discord.silent_reports", old.Discord.SilentReports, next.Discord.SilentReports},
		{"http.remote_reload", old.HTTP.RemoteReload, next.HTTP.RemoteReload},
		{"http.pprof", old.HTTP.PProf, next.HTTP.PProf},
		{"log.level", old.Log.Level, next.Log.Level},
	} {
		if !reflect.DeepEqual(c.a, c.b) {
			out = append(out, c.key)
		}
	}
	return out
}
