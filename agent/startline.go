package agent

import (
	"fmt"
	"io"
	"log/slog"
	goruntime "runtime"
	"runtime/debug"
	"strings"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/internal/otlpexport"
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
		if s, err := otlpexport.For(sig, a.cfg.OTLP, a.opts.env); err == nil && s.Enabled { // New refused an err
			otlp = otlpexport.EndpointName(sig, a.cfg.OTLP, a.opts.env)
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
