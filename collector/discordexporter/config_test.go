package discordexporter

import (
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/report"
)

const (
	testToken   = "MTEx.secret-token.value"
	testChannel = "1100000000000000011"
	testHook    = "https://discord.com/api/webhooks/123456789012345678/hook-secret-token"
)

func botConfig() *Config {
	c := createDefaultConfig().(*Config)
	c.Discord.Token, c.Discord.ChannelID = testToken, testChannel
	return c
}

func TestConfig_StructAndDefaults(t *testing.T) {
	c := createDefaultConfig().(*Config)
	if err := componenttest.CheckConfigStruct(c); err != nil {
		t.Fatal(err)
	}
	agent := config.Default()
	if c.Thresholds.CPUPercent != Threshold(agent.Thresholds.CPUPercent) || c.Alerts.For != agent.Alerts.For ||
		c.Alerts.RepeatInterval != agent.Alerts.RepeatInterval || c.Alerts.Hysteresis != agent.Alerts.Hysteresis {
		t.Errorf("defaults differ from the agent's: %+v %+v", c.Thresholds, c.Alerts)
	}
	if c.GroupBy != "service.name" || c.SilentAfter != 3 || c.Reports.Overview.Interval != time.Minute ||
		c.Reports.Overview.Mode != report.ModeEdit || c.Storage != nil || !c.Discord.SilentReports ||
		c.Reports.Commands != (ReportConfig{3 * time.Minute, report.ModePost}) || c.Reports.Health != (ReportConfig{5 * time.Minute, report.ModePost}) {
		t.Errorf("defaults = %+v", c)
	}
	// The default config has no destination: the Collector refuses it.
	if err := confmap.Validate(c); err == nil || !strings.Contains(err.Error(), "set discord.token with discord.channel_id, or discord.webhook_url") {
		t.Errorf("Validate(default) = %v", err)
	}
}

func TestConfig_Unmarshal(t *testing.T) {
	c := createDefaultConfig().(*Config)
	conf := confmap.NewFromStringMap(map[string]any{
		"discord": map[string]any{"token": testToken, "channel_id": testChannel, "api_url": "http://127.0.0.1:9"},
		"reports": map[string]any{"overview": map[string]any{"interval": "30s", "mode": "post"},
			"commands": map[string]any{"interval": "10m", "mode": "edit"}, "health": map[string]any{"mode": "off"}},
		"thresholds": map[string]any{"cpu_percent": map[string]any{"warning": 60, "critical": 80}},
		"alerts":     map[string]any{"for": "2m", "repeat_interval": "0s", "hysteresis": 0.2},
		"group_by":   "bot",
		"storage":    "file_storage/discord",
	})
	if err := conf.Unmarshal(c); err != nil {
		t.Fatal(err)
	}
	if err := confmap.Validate(c); err != nil {
		t.Fatal(err)
	}
	want := component.MustNewIDWithName("file_storage", "discord")
	if c.Storage == nil || *c.Storage != want {
		t.Errorf("storage = %v, want %v", c.Storage, want)
	}
	if c.Reports.Overview.Interval != 30*time.Second || c.Reports.Overview.Mode != report.ModePost ||
		c.Thresholds.CPUPercent != (Threshold{60, 80}) || c.Thresholds.MemoryPercent != Threshold(config.Default().Thresholds.MemoryPercent) ||
		c.Alerts.For != 2*time.Minute || c.Alerts.Hysteresis != 0.2 || c.GroupBy != "bot" ||
		c.Reports.Commands != (ReportConfig{10 * time.Minute, report.ModeEdit}) || c.Reports.Health != (ReportConfig{5 * time.Minute, report.ModeOff}) {
		t.Errorf("config = %+v", c)
	}
	bad := confmap.NewFromStringMap(map[string]any{"discord": map[string]any{"tokn": "x"}})
	if err := bad.Unmarshal(createDefaultConfig()); err == nil {
		t.Error("an unknown key was accepted")
	}
}

func TestConfig_Validate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want []string // substrings of the error; none: valid
	}{
		{"bot", func(*Config) {}, nil},
		{"webhook", func(c *Config) {
			c.Discord = DiscordConfig{WebhookURL: testHook, APIURL: config.Default().Discord.APIURL}
		}, nil},
		{"webhook on loopback http", func(c *Config) {
			c.Discord = DiscordConfig{WebhookURL: "http://127.0.0.1:8080/api/v10/webhooks/123456789012345678/tok", APIURL: config.Default().Discord.APIURL}
		}, nil},
		{"both destinations", func(c *Config) { c.Discord.WebhookURL = testHook }, []string{"discord: set either"}},
		{"no destination", func(c *Config) { c.Discord.Token, c.Discord.ChannelID = "", "" }, []string{"discord: set discord.token"}},
		{"token without channel", func(c *Config) { c.Discord.ChannelID = "" }, []string{"discord.channel_id: required with discord.token"}},
		{"channel without token", func(c *Config) { c.Discord.Token = "" }, []string{"discord.token: required with discord.channel_id"}},
		{"token with a space", func(c *Config) { c.Discord.Token = "abc def" }, []string{"discord.token: must be a single token"}},
		{"channel not a snowflake", func(c *Config) { c.Discord.ChannelID = "general" }, []string{`discord.channel_id: must be a Discord id of 17 to 20 digits, got "general"`}},
		{"webhook not https", func(c *Config) {
			c.Discord = DiscordConfig{WebhookURL: "http://discord.com/api/webhooks/123456789012345678/hook-secret-token", APIURL: config.Default().Discord.APIURL}
		}, []string{"discord.webhook_url: must be an https URL"}},
		{"webhook wrong path", func(c *Config) {
			c.Discord = DiscordConfig{WebhookURL: "https://discord.com/hook-secret-token", APIURL: config.Default().Discord.APIURL}
		}, []string{"discord.webhook_url"}},
		{"api url with query", func(c *Config) { c.Discord.APIURL = "https://proxy.example/?k=v" }, []string{"discord.api_url"}},
		{"api url empty", func(c *Config) { c.Discord.APIURL = "" }, []string{"discord.api_url"}},
		{"overview interval too short", func(c *Config) { c.Reports.Overview.Interval = time.Second }, []string{"reports.overview.interval: must be at least 5s, got 1s"}},
		{"overview mode", func(c *Config) { c.Reports.Overview.Mode = "live" }, []string{`reports.overview.mode: must be edit, post or off, got "live"`}},
		{"overview off", func(c *Config) { c.Reports.Overview.Mode = report.ModeOff }, nil},
		{"commands interval too short", func(c *Config) { c.Reports.Commands.Interval = 4 * time.Second }, []string{"reports.commands.interval: must be at least 5s, got 4s"}},
		{"commands interval unset", func(c *Config) { c.Reports.Commands.Interval = 0 }, []string{"reports.commands.interval: must be at least 5s, got 0s"}},
		{"commands mode", func(c *Config) { c.Reports.Commands.Mode = "" }, []string{`reports.commands.mode: must be edit, post or off, got ""`}},
		{"commands edit", func(c *Config) { c.Reports.Commands.Mode = report.ModeEdit }, nil},
		{"health interval too short", func(c *Config) { c.Reports.Health.Interval = time.Second }, []string{"reports.health.interval: must be at least 5s, got 1s"}},
		{"health mode", func(c *Config) { c.Reports.Health.Mode = "daily" }, []string{`reports.health.mode: must be edit, post or off, got "daily"`}},
		{"health off", func(c *Config) { c.Reports.Health.Mode = report.ModeOff }, nil},
		{"warning zero", func(c *Config) { c.Thresholds.CPUPercent.Warning = 0 }, []string{"thresholds.cpu_percent.warning: must be above 0 and at most 100, got 0"}},
		{"percent above 100", func(c *Config) { c.Thresholds.DiskPercent = Threshold{90, 120} }, []string{"thresholds.disk_percent.critical: must be at least the warning line 90 and at most 100, got 120"}},
		{"critical below warning", func(c *Config) { c.Thresholds.NetworkMS = Threshold{500, 200} }, []string{"thresholds.network_ms.critical: must be at least the warning line 500, got 200"}},
		{"response warning negative", func(c *Config) { c.Thresholds.ResponseMS.Warning = -1 }, []string{"thresholds.response_ms.warning: must be a number above 0"}},
		{"for negative", func(c *Config) { c.Alerts.For = -time.Second }, []string{"alerts.for: must not be negative"}},
		{"repeat too often", func(c *Config) { c.Alerts.RepeatInterval = 10 * time.Second }, []string{"alerts.repeat_interval: must be 0 (never repeat) or at least 1m0s, got 10s"}},
		{"repeat never", func(c *Config) { c.Alerts.RepeatInterval = 0 }, nil},
		{"hysteresis 1", func(c *Config) { c.Alerts.Hysteresis = 1 }, []string{"alerts.hysteresis: must be at least 0 and below 1, got 1"}},
		{"group_by empty", func(c *Config) { c.GroupBy = " " }, []string{"group_by: must name a resource attribute"}},
		{"silent_after zero", func(c *Config) { c.SilentAfter = 0 }, []string{"silent_after: must be at least 1 (overview intervals), got 0"}},
		{"every problem at once", func(c *Config) {
			c.Discord.ChannelID, c.SilentAfter, c.GroupBy = "x", 0, ""
		}, []string{"discord.channel_id", "silent_after", "group_by"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := botConfig()
			tc.edit(c)
			err := c.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
			for _, secret := range []string{testToken, "hook-secret-token", "abc def"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("Validate() = %q shows a secret", err)
				}
			}
		})
	}
}
