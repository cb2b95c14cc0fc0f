package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/nexusmon/nexusmon/report/reportdata"
)

// Report modes (reports.*.mode): report's.
const (
	ModePost = reportdata.ModePost // a new message every interval
	ModeEdit = reportdata.ModeEdit // one live message, edited in place
	ModeOff  = reportdata.ModeOff  // collect and store, do not post
)

// Console output settings (output.console).
const (
	ConsoleAuto = "auto" // console output when no Discord sender is configured
	ConsoleOn   = "on"
	ConsoleOff  = "off"
)

// OTLP protocols (otlp.protocol). The empty string leaves the choice to the
// OTEL_EXPORTER_OTLP_PROTOCOL variable or the default, http/protobuf.
// ProtocolGRPC needs a binary built with -tags nexusmon_grpc (GRPCBuilt).
const (
	ProtocolGRPC         = "grpc"
	ProtocolHTTPProtobuf = "http/protobuf"
	ProtocolHTTPJSON     = "http/json"
)

// protocolProblem is what is wrong with protocol v ("" when nothing is);
// empty is whether "" is allowed.
func protocolProblem(v string, empty bool) string {
	switch v {
	case ProtocolHTTPProtobuf, ProtocolHTTPJSON:
		return ""
	case ProtocolGRPC:
		if GRPCBuilt {
			return ""
		}
		return "grpc needs a binary built with -tags nexusmon_grpc (make build-grpc); use http/protobuf"
	case "":
		if empty {
			return ""
		}
	}
	if empty {
		return fmt.Sprintf("must be http/protobuf, http/json or grpc (or empty), got %q", v)
	}
	return fmt.Sprintf("must be http/protobuf, http/json or grpc, got %q", v)
}

// Delivery modes returned by Discord.Mode.
const (
	DeliveryBot     = "bot"
	DeliveryWebhook = "webhook"
	DeliveryConsole = "console"
)

// Config is the whole nexusmon configuration. Every key is optional; a
// missing key keeps its value from Default.
type Config struct {
	// Discord is where reports and alerts go: a bot channel, a webhook, or
	// (neither set) the console.
	Discord Discord `yaml:"discord"`
	// Reports is the interval and mode of each of the five periodic reports.
	Reports Reports `yaml:"reports"`
	// Thresholds are the warning and critical levels of health and alerts.
	Thresholds Thresholds `yaml:"thresholds"`
	// Alerts is the timing shared by every alert rule.
	Alerts Alerts `yaml:"alerts"`
	// Probes are the Discord API and internet reachability probes.
	Probes Probes `yaml:"probes"`
	// Process selects the bot process to watch.
	Process Process `yaml:"process"`
	// Storage is the embedded store (history, alert state, outbox).
	Storage Storage `yaml:"storage"`
	// Output is the console and the events file.
	Output Output `yaml:"output"`
	// HTTP is the /metrics and /healthz listener.
	HTTP HTTP `yaml:"http"`
	// OTLP is export to an OpenTelemetry backend.
	OTLP OTLP `yaml:"otlp"`
	// Receiver receives OTLP from a bot written in another language.
	Receiver Receiver `yaml:"receiver"`
	// Fleet tells this agent apart from the other instances of its bot
	// when a fleet gateway (otelcol-nexusmon) receives their OTLP.
	Fleet Fleet `yaml:"fleet"`
	// Log is the agent's log level.
	Log Log `yaml:"log"`
}

// Discord holds the credentials and addresses used to talk to Discord.
type Discord struct {
	// Token is the bot token, without or with the "Bot " prefix. After Parse
	// it holds the token from DISCORD_TOKEN, the file, or token_file.
	Token Secret `yaml:"token"`
	// TokenFile names a file holding the token, relative to the config
	// file's directory. Parse reads it into Token and then clears it, so a
	// parsed Config always validates.
	TokenFile string `yaml:"token_file"`
	// ChannelID is the snowflake of the channel the bot posts reports to.
	ChannelID string `yaml:"channel_id"`
	// WebhookURL is a channel webhook URL, used when there is no bot channel.
	WebhookURL Secret `yaml:"webhook_url"`
	// APIURL is the base of every Discord REST request (proxies, fakes).
	APIURL string `yaml:"api_url"`
	// GuildID is the guild whose slash commands are registered.
	GuildID string `yaml:"guild_id"`
	// RecordUserIDs puts user ids on command spans when true.
	RecordUserIDs bool `yaml:"record_user_ids"`
	// SilentReports posts routine reports (the periodic ones, info notices,
	// test messages) with Discord's SUPPRESS_NOTIFICATIONS flag, so they
	// raise no push notification; alerts and command errors notify.
	SilentReports bool `yaml:"silent_reports"`
}

// Mode returns how reports are delivered: DeliveryBot when a token and a
// channel id are set, else DeliveryWebhook when a webhook URL is set, else
// DeliveryConsole. A bot wins over a webhook because it can also serve the
// slash commands.
func (d Discord) Mode() string {
	switch {
	case d.Token != "" && d.ChannelID != "":
		return DeliveryBot
	case d.WebhookURL != "":
		return DeliveryWebhook
	default:
		return DeliveryConsole
	}
}

// BotToken returns the token in the form discordgo.New expects, with the
// "Bot " prefix added when it is missing, or "" when no token is set. The
// result is a secret: never log it.
func (d Discord) BotToken() string {
	t := d.Token.Reveal()
	if t == "" || strings.HasPrefix(t, "Bot ") {
		return t
	}
	return "Bot " + t
}

// Reports holds the schedule of each periodic report.
type Reports struct {
	System   Report `yaml:"system"`   // detailed_system_monitoring
	Network  Report `yaml:"network"`  // network_performance_monitoring
	Memory   Report `yaml:"memory"`   // memory_performance_monitoring
	Commands Report `yaml:"commands"` // command_performance_analysis
	Health   Report `yaml:"health"`   // comprehensive_health_report
}

// Report is the schedule of one periodic report.
type Report struct {
	// Interval is the time between two reports; at least 1s.
	Interval time.Duration `yaml:"interval"`
	// Mode is ModePost (a new message each time), ModeEdit (one message
	// edited in place) or ModeOff (collected and stored, not posted).
	Mode reportdata.Mode `yaml:"mode"`
}

// named returns the reports with their YAML keys, in file order.
func (r Reports) named() []struct {
	name string
	r    Report
} {
	return []struct {
		name string
		r    Report
	}{
		{"system", r.System}, {"network", r.Network}, {"memory", r.Memory},
		{"commands", r.Commands}, {"health", r.Health},
	}
}

// Thresholds holds the warning and critical level of each health component.
type Thresholds struct {
	CPUPercent    Threshold `yaml:"cpu_percent"`    // host CPU busy %
	MemoryPercent Threshold `yaml:"memory_percent"` // host memory in use, (total - available) / total
	DiskPercent   Threshold `yaml:"disk_percent"`   // the fullest filesystem's used %
	ResponseMS    Threshold `yaml:"response_ms"`    // Discord API probe response time, command p95
	NetworkMS     Threshold `yaml:"network_ms"`     // gateway heartbeat latency, else internet probe time
}

// Threshold is a warning and a critical level; a value at or above a level
// is at that level.
type Threshold struct {
	Warning  float64 `yaml:"warning"`
	Critical float64 `yaml:"critical"`
}

// Alerts holds the alert rule timing shared by every rule.
type Alerts struct {
	// For is how long a breach must last before the alert fires.
	For time.Duration `yaml:"for"`
	// RepeatInterval is how often a firing alert is posted again.
	RepeatInterval time.Duration `yaml:"repeat_interval"`
	// Hysteresis is the clear margin: a firing alert clears only when the
	// value falls below threshold*(1-Hysteresis). 0 <= Hysteresis < 1.
	Hysteresis float64 `yaml:"hysteresis"`
}

// Probes holds the reachability probes.
type Probes struct {
	// DiscordAPI is the URL probed for Discord API latency; "" disables it.
	DiscordAPI string `yaml:"discord_api"`
	// Internet lists URLs probed for general connectivity; empty disables.
	Internet []string `yaml:"internet"`
	// Timeout bounds one probe, DNS to last byte; at most Interval.
	Timeout time.Duration `yaml:"timeout"`
	// Interval is the time between probe rounds; at least 1s.
	Interval time.Duration `yaml:"interval"`
}

// Process selects the bot process to watch. With neither PID nor PIDFile
// set, nexusmon watches its own process (the library case).
type Process struct {
	// PID is the pid of the bot process; 0 when unset.
	PID int `yaml:"pid"`
	// PIDFile names a file holding the bot's pid, re-read before every
	// collection so a restarted bot is followed. Set PID or PIDFile, not both.
	PIDFile string `yaml:"pid_file"`
}

// Storage configures the embedded store.
type Storage struct {
	// Path is the SQLite store's file; its directory is created.
	Path string `yaml:"path"`
	// Retention is how long history is kept; 0 keeps it forever.
	Retention time.Duration `yaml:"retention"`
	// FlushInterval is how long history (reports and samples) waits in
	// memory to be committed with the rest of the interval's in one
	// transaction; 0 commits every report.
	FlushInterval time.Duration `yaml:"flush_interval"`
}

// Output configures the local outputs.
type Output struct {
	Console string `yaml:"console"` // ConsoleAuto, ConsoleOn or ConsoleOff
	// JSONL is the events file, one JSON envelope per line; "" disables it.
	JSONL string `yaml:"jsonl"`
}

// HTTP configures the /metrics and /healthz listener.
type HTTP struct {
	// Listen is the host:port to serve on; "" disables the listener.
	Listen string `yaml:"listen"`
	// RemoteReload lets any client that reaches the listener POST
	// /-/reload; false (the default) accepts it from loopback only.
	RemoteReload bool `yaml:"remote_reload"`
	// PProf serves the Go runtime's profiles under /debug/pprof/ to
	// loopback clients; false (the default) answers 404 there.
	PProf bool `yaml:"pprof"`
}

// Receiver configures the receivers of telemetry from the bot.
type Receiver struct {
	OTLP ReceiverOTLP `yaml:"otlp"`
}

// ReceiverOTLP configures the OTLP/HTTP receiver: a discord.js or
// discord.py bot sends its command spans and session and runtime metrics
// (docs/conventions.md) to it.
type ReceiverOTLP struct {
	// HTTP is the host:port to receive OTLP/HTTP on (POST /v1/traces and
	// /v1/metrics); "" (the default) disables the receiver. OTLP has no
	// authentication: keep it on loopback.
	HTTP string `yaml:"http"`
	// MaxRequestBytes bounds a request body, compressed and decompressed.
	MaxRequestBytes int `yaml:"max_request_bytes"`
	// MaxSpansPerMinute bounds the command spans recorded per minute.
	MaxSpansPerMinute int `yaml:"max_spans_per_minute"`
	// MaxPointsPerMinute bounds the metric points kept per minute.
	MaxPointsPerMinute int `yaml:"max_points_per_minute"`
	// MaxSeries bounds the metric series whose latest point is kept.
	MaxSeries int `yaml:"max_series"`
}

// Fleet holds the resource attributes that tell one instance of a bot from
// the others at a fleet gateway. The variables win: service.instance.id and
// discord.shard.id in OTEL_RESOURCE_ATTRIBUTES override these keys.
type Fleet struct {
	// Instance is the service.instance.id resource attribute; "" (the
	// default) sets none.
	Instance string `yaml:"instance"`
	// Shard is the discord.shard.id resource attribute, at least 0; nil
	// (the default) takes the shard of a sharded bot session given to the
	// agent (agent.WithSession), else sets none.
	Shard *int `yaml:"shard"`
}

// Log configures the agent's log.
type Log struct {
	// Level is debug, info, warn or error. The --log-level flag wins.
	Level string `yaml:"level"`
}

// OTLP configures OTLP export. It mirrors the standard OTEL_* variables, and
// the environment wins over these keys (the caller applies that).
type OTLP struct {
	// Endpoint is the collector URL; "" disables OTLP export unless
	// OTEL_EXPORTER_OTLP_ENDPOINT is set.
	Endpoint string `yaml:"endpoint"`
	// Protocol is "", ProtocolHTTPProtobuf, ProtocolHTTPJSON or
	// ProtocolGRPC.
	Protocol string `yaml:"protocol"`
	// Headers are sent with every export. Their values are secrets.
	Headers Headers `yaml:"headers"`
	// Timeout bounds one export.
	Timeout time.Duration `yaml:"timeout"`
	// Interval is the metric export interval; at least 1s.
	Interval time.Duration `yaml:"interval"`
	// Insecure makes the connection to Endpoint plain text (no TLS); it is
	// ignored when the endpoint comes from a variable.
	Insecure bool `yaml:"insecure"`
	// ServiceName is the service.name resource attribute; "" means
	// "nexusmon".
	ServiceName string `yaml:"service_name"`
}

// Default returns the configuration used when no file is given, and the
// values every missing key keeps. It is the one place defaults live.
func Default() *Config {
	modes, th := reportdata.DefaultModes(), reportdata.DefaultThresholds()
	return &Config{
		Discord: Discord{
			APIURL:        "https://discord.com",
			SilentReports: true,
		},
		Reports: Reports{
			System:   Report{Interval: 30 * time.Second, Mode: modes[reportdata.EventSystem]},
			Network:  Report{Interval: 60 * time.Second, Mode: modes[reportdata.EventNetwork]},
			Memory:   Report{Interval: 60 * time.Second, Mode: modes[reportdata.EventMemory]},
			Commands: Report{Interval: 3 * time.Minute, Mode: modes[reportdata.EventCommands]},
			Health:   Report{Interval: 5 * time.Minute, Mode: modes[reportdata.EventHealth]},
		},
		Thresholds: Thresholds{
			CPUPercent:    Threshold(th.CPU),
			MemoryPercent: Threshold(th.Memory),
			DiskPercent:   Threshold(th.Disk),
			ResponseMS:    Threshold(th.Response),
			NetworkMS:     Threshold(th.Network),
		},
		Alerts: Alerts{
			For:            60 * time.Second,
			RepeatInterval: time.Hour,
			Hysteresis:     0.1,
		},
		Probes: Probes{
			DiscordAPI: "https://discord.com/api/v10/gateway",
			Internet:   []string{"https://www.google.com/generate_204", "https://1.1.1.1"},
			Timeout:    5 * time.Second,
			Interval:   60 * time.Second,
		},
		Storage: Storage{
			Path:          "data/nexusmon.db",
			Retention:     168 * time.Hour,
			FlushInterval: 5 * time.Second,
		},
		Output: Output{
			Console: ConsoleAuto,
			JSONL:   "data/events.jsonl",
		},
		HTTP: HTTP{
			Listen: "127.0.0.1:9464",
		},
		OTLP: OTLP{
			Timeout:  10 * time.Second,
			Interval: 60 * time.Second,
		},
		Receiver: Receiver{OTLP: ReceiverOTLP{
			MaxRequestBytes:    4 << 20,
			MaxSpansPerMinute:  60000,
			MaxPointsPerMinute: 20000,
			MaxSeries:          1000,
		}},
		Log: Log{Level: "info"},
	}
}
