package discordexporter

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/nexusmon/nexusmon/collector/discordexporter/internal/fleet"
	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/internal/discordapi"
	"github.com/nexusmon/nexusmon/report"
)

// Defaults of the keys a user leaves out (README.md lists them all).
const (
	DefaultGroupBy         = "service.name"
	DefaultOverviewEvery   = 60 * time.Second
	DefaultSilentAfter     = 3
	minReportInterval      = 5 * time.Second
	minAlertRepeatInterval = time.Minute
)

// Config is the discord exporter's configuration. Its keys mirror the
// nexusmon agent's discord.*, thresholds.* and alerts.*; reports.* holds the
// fleet reports.
type Config struct {
	Discord    DiscordConfig    `mapstructure:"discord"`
	Reports    ReportsConfig    `mapstructure:"reports"`
	Thresholds ThresholdsConfig `mapstructure:"thresholds"`
	Alerts     AlertsConfig     `mapstructure:"alerts"`
	// GroupBy is the resource attribute that names the bot an instance
	// belongs to (default service.name).
	GroupBy string `mapstructure:"group_by"`
	// SilentAfter is how many overview intervals an instance may send
	// nothing before its "silent" alert fires.
	SilentAfter int `mapstructure:"silent_after"`
	// Storage is the id of a storage extension (file_storage) that keeps
	// the outbox, the live message ids and the alert state; nil keeps them
	// in memory (lost on restart).
	Storage *component.ID `mapstructure:"storage"`

	_ struct{} // keys only by name
}

// DiscordConfig is where the reports go: a bot (token and channel id) or a
// channel webhook.
type DiscordConfig struct {
	Token      configopaque.String `mapstructure:"token"`
	ChannelID  string              `mapstructure:"channel_id"`
	WebhookURL configopaque.String `mapstructure:"webhook_url"`
	// APIURL is the Discord API base of the bot sender (default
	// https://discord.com); a proxy or a fake in tests.
	APIURL string `mapstructure:"api_url"`
	// SilentReports posts the overview without push notifications (alerts
	// notify either way). Default on, as in the agent.
	SilentReports bool `mapstructure:"silent_reports"`
}

// ReportsConfig holds the fleet reports.
type ReportsConfig struct {
	Overview ReportConfig `mapstructure:"overview"`
	// Commands is the fleet command analysis (default the agent's
	// reports.commands: 3m, post).
	Commands ReportConfig `mapstructure:"commands"`
	// Health is the fleet health report (default the agent's
	// reports.health: 5m, post).
	Health ReportConfig `mapstructure:"health"`
}

// ReportConfig is one report's interval and mode (edit, post or off).
type ReportConfig struct {
	Interval time.Duration `mapstructure:"interval"`
	Mode     report.Mode   `mapstructure:"mode"`
}

// ThresholdsConfig are the warning/critical lines of the alerts and the
// overview's health levels, as the agent's thresholds.*.
type ThresholdsConfig struct {
	CPUPercent    Threshold `mapstructure:"cpu_percent"`
	MemoryPercent Threshold `mapstructure:"memory_percent"`
	DiskPercent   Threshold `mapstructure:"disk_percent"`
	ResponseMS    Threshold `mapstructure:"response_ms"`
	NetworkMS     Threshold `mapstructure:"network_ms"`
}

// Threshold is one warning/critical pair.
type Threshold struct {
	Warning  float64 `mapstructure:"warning"`
	Critical float64 `mapstructure:"critical"`
}

// AlertsConfig is the alert timing shared by every rule, as the agent's
// alerts.*.
type AlertsConfig struct {
	For            time.Duration `mapstructure:"for"`
	RepeatInterval time.Duration `mapstructure:"repeat_interval"`
	Hysteresis     float64       `mapstructure:"hysteresis"`
}

var _ component.Config = (*Config)(nil)

// createDefaultConfig takes the agent's defaults (config.Default) for every
// key the agent has, so the two never drift apart.
func createDefaultConfig() component.Config {
	agent := config.Default()
	t, a := agent.Thresholds, agent.Alerts
	return &Config{
		Discord: DiscordConfig{APIURL: agent.Discord.APIURL, SilentReports: agent.Discord.SilentReports},
		Reports: ReportsConfig{
			Overview: ReportConfig{Interval: DefaultOverviewEvery, Mode: report.ModeEdit},
			Commands: ReportConfig{Interval: agent.Reports.Commands.Interval, Mode: agent.Reports.Commands.Mode},
			Health:   ReportConfig{Interval: agent.Reports.Health.Interval, Mode: agent.Reports.Health.Mode},
		},
		Thresholds: ThresholdsConfig{
			CPUPercent: Threshold(t.CPUPercent), MemoryPercent: Threshold(t.MemoryPercent), DiskPercent: Threshold(t.DiskPercent),
			ResponseMS: Threshold(t.ResponseMS), NetworkMS: Threshold(t.NetworkMS),
		},
		Alerts:      AlertsConfig{For: a.For, RepeatInterval: a.RepeatInterval, Hysteresis: a.Hysteresis},
		GroupBy:     DefaultGroupBy,
		SilentAfter: DefaultSilentAfter,
	}
}

// Validate reports every problem at once, each naming its key. Messages
// never contain the token or the webhook URL.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	d := c.Discord
	bot, hook := d.Token != "" || d.ChannelID != "", d.WebhookURL != ""
	switch {
	case bot && hook:
		bad("discord", "set either discord.token with discord.channel_id, or discord.webhook_url, not both")
	case !bot && !hook:
		bad("discord", "set discord.token with discord.channel_id, or discord.webhook_url")
	case bot:
		if d.Token == "" {
			bad("discord.token", "required with discord.channel_id")
		} else if strings.IndexFunc(strings.TrimPrefix(string(d.Token), "Bot "), unicode.IsSpace) >= 0 {
			bad("discord.token", "must be a single token without spaces or line breaks")
		}
		if d.ChannelID == "" {
			bad("discord.channel_id", "required with discord.token")
		} else if !discordapi.IsSnowflake(d.ChannelID) {
			bad("discord.channel_id", "must be a Discord id of 17 to 20 digits, got %q", d.ChannelID)
		}
	case !config.IsWebhookURL(string(d.WebhookURL)):
		// The URL carries the webhook token: never echo it.
		bad("discord.webhook_url", "must be an https URL whose path is /api/webhooks/{id}/{token} (http only for loopback hosts)")
	}
	if !config.IsBaseURL(d.APIURL) {
		bad("discord.api_url", "must be an absolute http(s) URL without query or fragment")
	}
	for _, r := range []struct {
		key string
		rc  ReportConfig
	}{{"reports.overview", c.Reports.Overview}, {"reports.commands", c.Reports.Commands}, {"reports.health", c.Reports.Health}} {
		if r.rc.Interval < minReportInterval {
			bad(r.key+".interval", "must be at least %s, got %s", minReportInterval, r.rc.Interval)
		}
		switch r.rc.Mode {
		case report.ModeEdit, report.ModePost, report.ModeOff:
		default:
			bad(r.key+".mode", "must be edit, post or off, got %q", r.rc.Mode)
		}
	}
	for _, t := range []struct {
		key string
		th  Threshold
		max float64 // 0: no upper bound
	}{
		{"thresholds.cpu_percent", c.Thresholds.CPUPercent, 100},
		{"thresholds.memory_percent", c.Thresholds.MemoryPercent, 100},
		{"thresholds.disk_percent", c.Thresholds.DiskPercent, 100},
		{"thresholds.response_ms", c.Thresholds.ResponseMS, 0},
		{"thresholds.network_ms", c.Thresholds.NetworkMS, 0},
	} {
		w, cr := t.th.Warning, t.th.Critical
		switch {
		case !(w > 0) || math.IsInf(w, 0) || (t.max > 0 && w > t.max):
			if t.max > 0 {
				bad(t.key+".warning", "must be above 0 and at most %g, got %g", t.max, w)
			} else {
				bad(t.key+".warning", "must be a number above 0, got %g", w)
			}
		case !(cr >= w) || math.IsInf(cr, 0) || (t.max > 0 && cr > t.max):
			bad(t.key+".critical", "must be at least the warning line %g%s, got %g", w, upTo(t.max), cr)
		}
	}
	a := c.Alerts
	if a.For < 0 {
		bad("alerts.for", "must not be negative, got %s", a.For)
	}
	if a.RepeatInterval != 0 && a.RepeatInterval < minAlertRepeatInterval {
		bad("alerts.repeat_interval", "must be 0 (never repeat) or at least %s, got %s", minAlertRepeatInterval, a.RepeatInterval)
	}
	if !(a.Hysteresis >= 0 && a.Hysteresis < 1) {
		bad("alerts.hysteresis", "must be at least 0 and below 1, got %g", a.Hysteresis)
	}
	if strings.TrimSpace(c.GroupBy) == "" {
		bad("group_by", "must name a resource attribute, e.g. service.name")
	}
	if c.SilentAfter < 1 {
		bad("silent_after", "must be at least 1 (overview intervals), got %d", c.SilentAfter)
	}
	return errors.Join(errs...)
}

func upTo(limit float64) string {
	if limit > 0 {
		return fmt.Sprintf(" and at most %g", limit)
	}
	return ""
}

// thresholds returns the lines as the report engine takes them.
func (c *Config) thresholds() report.Thresholds {
	p := func(t Threshold) health.Thresholds {
		return health.Thresholds{Warning: t.Warning, Critical: t.Critical}
	}
	t := c.Thresholds
	return report.Thresholds{CPU: p(t.CPUPercent), Memory: p(t.MemoryPercent), Disk: p(t.DiskPercent),
		Response: p(t.ResponseMS), Network: p(t.NetworkMS)}
}

// alertOptions returns the alert timing as the report engine takes it.
func (c *Config) alertOptions() report.AlertOptions {
	return report.AlertOptions{For: c.Alerts.For, RepeatInterval: c.Alerts.RepeatInterval, Hysteresis: c.Alerts.Hysteresis}
}

// fleetConfig is what the fleet takes of c.
func (c *Config) fleetConfig() *fleet.Config {
	return &fleet.Config{
		SilentAfter: c.SilentAfter, OverviewInterval: c.Reports.Overview.Interval,
		OverviewMode: c.Reports.Overview.Mode, CommandsMode: c.Reports.Commands.Mode, HealthMode: c.Reports.Health.Mode,
		SilentReports: c.Discord.SilentReports, Thresholds: c.thresholds(), AlertOptions: c.alertOptions(),
	}
}
