package agent

import (
	"fmt"
	"io"
	"log/slog"
	"net/url"
	goruntime "runtime"
	"runtime/debug"
	"strings"

	"github.com/nexusmon/nexusmon/config"
)

// logStarted logs the start-up line: the version, the config file, where
// reports go (never a secret: a webhook is only "webhook configured"), the
// OTLP endpoint (never its headers), the store, the events file and the
// HTTP address.
func (a *Agent) logStarted() {
	file := "(not from a file)"
	if a.opts.hasConfigFile {
		file = configFileName(a.opts.configFile)
	}
	otlp := "off"
	for _, sig := range []string{"metrics", "traces"} {
		if s, err := otlpFor(sig, a.cfg.OTLP, a.opts.env); err == nil && s.enabled { // New refused an err
			otlp = otlpEndpointName(sig, a.cfg.OTLP, a.opts.env)
			break
		}
	}
	a.log.Info("nexusmon started", "version", Version, "config", file, "discord", discordDestination(a.cfg.Discord),
		"otlp", otlp, "store", a.cfg.Storage.Path, "events", a.cfg.Output.JSONL, "http", a.httpAddr)
}

// discordDestination names where reports go without a secret.
func discordDestination(d config.Discord) string {
	switch d.Mode() {
	case config.DeliveryBot:
		return "bot channel " + d.ChannelID
	case config.DeliveryWebhook:
		return "webhook configured"
	default:
		return "console"
	}
}

// otlpEndpointName is the OTLP endpoint of signal as the exporter will use
// it (a variable wins over otlp.endpoint), without user information, query
// or fragment; headers are never shown. "(exporter default)" when only the
// protocol or OTEL_*_EXPORTER is set.
func otlpEndpointName(signal string, cfg config.OTLP, env func(string) (string, bool)) string {
	get := func(k string) string {
		v, _ := env(k)
		return strings.TrimSpace(v)
	}
	sig := strings.ToUpper(signal)
	e := firstNonEmpty(get("OTEL_EXPORTER_OTLP_"+sig+"_ENDPOINT"), get("OTEL_EXPORTER_OTLP_ENDPOINT"), cfg.Endpoint)
	if e == "" {
		return "(exporter default)"
	}
	u, err := url.Parse(e)
	if err != nil || u.Host == "" {
		return "(unparsable endpoint)"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment = nil, "", false, ""
	return u.String()
}

// VersionInfo is what `nexusmon version` prints: the version, the Go
// version and platform, and the build's module and VCS settings.
func VersionInfo() string {
	var b strings.Builder
	fmt.Fprintf(&b, "nexusmon %s\n%s %s/%s\n", Version, goruntime.Version(), goruntime.GOOS, goruntime.GOARCH)
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b.String()
	}
	fmt.Fprintf(&b, "module %s %s\n", bi.Main.Path, bi.Main.Version)
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs", "vcs.revision", "vcs.time", "vcs.modified", "-trimpath", "CGO_ENABLED":
			fmt.Fprintf(&b, "%s=%s\n", s.Key, s.Value)
		}
	}
	return b.String()
}

// NewLogger returns a logger writing to w in format "text" or "json", at
// level (which Reload may change; see WithLogLevel).
func NewLogger(w io.Writer, format string, level slog.Leveler) (*slog.Logger, error) {
	o := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, o)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	}
	return nil, fmt.Errorf("want text or json, got %q", format)
}
