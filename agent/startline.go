package agent

import (
	"net/url"
	"strings"

	"github.com/nexusmon/nexusmon/internal/config"
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
		if otlpFor(sig, a.cfg.OTLP, a.opts.env).enabled {
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
