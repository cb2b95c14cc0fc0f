package config

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nexusmon/nexusmon/internal/discordapi"
)

// Validate reports every problem in c at once, as *Problem values joined
// with errors.Join (Key and Msg only; Parse adds the file and line). It never
// changes c. Messages never contain a secret.
func (c *Config) Validate() error {
	if c == nil {
		return errors.New("validate config: nil config")
	}
	return joinProblems(c.problems())
}

// problems returns every problem in c, in key order.
func (c *Config) problems() []*Problem {
	var ps []*Problem
	ps = append(ps, c.Discord.problems()...)
	ps = append(ps, c.Reports.problems()...)
	ps = append(ps, c.Thresholds.problems()...)
	ps = append(ps, c.Alerts.problems()...)
	ps = append(ps, c.Probes.problems()...)
	ps = append(ps, c.Process.problems()...)
	ps = append(ps, c.Storage.problems()...)
	ps = append(ps, c.Output.problems()...)
	ps = append(ps, c.HTTP.problems()...)
	ps = append(ps, c.OTLP.problems()...)
	ps = append(ps, c.Receiver.OTLP.problems()...)
	ps = append(ps, c.Fleet.problems()...)
	ps = append(ps, c.Log.problems()...)
	return ps
}

func problem(key, format string, args ...any) *Problem {
	return &Problem{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// atLeast reports d < lowest.
func atLeast(key string, d, lowest time.Duration) []*Problem {
	if d < lowest {
		return []*Problem{problem(key, "must be at least %s, got %s", lowest, d)}
	}
	return nil
}

func (d Discord) problems() []*Problem {
	var ps []*Problem
	if d.Token != "" && d.TokenFile != "" {
		ps = append(ps, problem("discord.token_file", "set either discord.token or discord.token_file, not both"))
	}
	if t := strings.TrimPrefix(d.Token.Reveal(), "Bot "); strings.IndexFunc(t, unicode.IsSpace) >= 0 {
		ps = append(ps, problem("discord.token", "must be a single token without spaces or line breaks"))
	}
	if d.ChannelID != "" {
		if !discordapi.IsSnowflake(d.ChannelID) {
			ps = append(ps, problem("discord.channel_id", "must be a Discord id of 17 to 20 digits, got %q", d.ChannelID))
		}
		if d.Token == "" && d.TokenFile == "" {
			ps = append(ps, problem("discord.channel_id", "requires a bot token (discord.token, discord.token_file or DISCORD_TOKEN)"))
		}
	}
	if d.GuildID != "" && !discordapi.IsSnowflake(d.GuildID) {
		ps = append(ps, problem("discord.guild_id", "must be a Discord id of 17 to 20 digits, got %q", d.GuildID))
	}
	if d.WebhookURL != "" && !IsWebhookURL(d.WebhookURL.Reveal()) {
		// The URL carries the webhook token: never echo it.
		ps = append(ps, problem("discord.webhook_url",
			"must be an https URL whose path is /api/webhooks/{id}/{token} (http only for loopback hosts)"))
	}
	if !IsBaseURL(d.APIURL) {
		ps = append(ps, problem("discord.api_url", "must be an absolute http(s) URL without query or fragment"))
	}
	return ps
}

// httpURL parses s as an absolute http or https URL with a host.
func httpURL(s string) (*url.URL, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" || u.Hostname() == "" {
		return nil, false
	}
	return u, true
}

// IsBaseURL reports whether s is an absolute http(s) URL without query or
// fragment, as discord.api_url must be.
func IsBaseURL(s string) bool {
	u, ok := httpURL(s)
	return ok && u.RawQuery == "" && !u.ForceQuery && u.Fragment == "" && !strings.Contains(s, "#")
}

// IsWebhookURL reports whether s is a Discord webhook URL as the webhook
// sender takes it: https (http only for a loopback host), path
// /api/webhooks/{id}/{token} or /api/v<N>/webhooks/{id}/{token}, the id a
// snowflake. The Collector exporter checks its webhook_url with it too.
func IsWebhookURL(s string) bool {
	u, ok := httpURL(s)
	if !ok {
		return false
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return false
	}
	rest, found := strings.CutPrefix(u.Path, "/api/")
	if !found {
		return false
	}
	// Discord accepts /api/webhooks/… and the versioned /api/v10/webhooks/….
	if v, after, ok := strings.Cut(rest, "/"); ok && len(v) > 1 && v[0] == 'v' && strings.Trim(v[1:], "0123456789") == "" {
		rest = after
	}
	rest, found = strings.CutPrefix(rest, "webhooks/")
	if !found {
		return false
	}
	// As the webhook sender reads it: /webhooks/{id}/{token}, id a snowflake.
	id, token, ok := strings.Cut(strings.Trim(rest, "/"), "/")
	return ok && discordapi.IsSnowflake(id) && token != "" && !strings.Contains(token, "/")
}

// isLoopback reports whether host is localhost, 127.0.0.0/8 or ::1.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (r Reports) problems() []*Problem {
	var ps []*Problem
	for _, n := range r.named() {
		key := "reports." + n.name
		ps = append(ps, atLeast(key+".interval", n.r.Interval, time.Second)...)
		switch n.r.Mode {
		case ModePost, ModeEdit, ModeOff:
		default:
			ps = append(ps, problem(key+".mode", "must be one of post, edit, off, got %q", n.r.Mode))
		}
	}
	return ps
}

func (t Thresholds) problems() []*Problem {
	var ps []*Problem
	ps = append(ps, t.CPUPercent.problems("thresholds.cpu_percent", 100)...)
	ps = append(ps, t.MemoryPercent.problems("thresholds.memory_percent", 100)...)
	ps = append(ps, t.DiskPercent.problems("thresholds.disk_percent", 100)...)
	ps = append(ps, t.ResponseMS.problems("thresholds.response_ms", math.Inf(1))...)
	ps = append(ps, t.NetworkMS.problems("thresholds.network_ms", math.Inf(1))...)
	return ps
}

// problems checks 0 < warning < critical <= highest. The ordering problem is
// reported on the section key, because either value may be the wrong one.
func (t Threshold) problems(key string, highest float64) []*Problem {
	var ps []*Problem
	ok := true
	for _, v := range []struct {
		name string
		v    float64
	}{{"warning", t.Warning}, {"critical", t.Critical}} {
		switch {
		case math.IsNaN(v.v) || math.IsInf(v.v, 0):
			ps = append(ps, problem(key+"."+v.name, "must be a finite number"))
			ok = false
		case v.v <= 0:
			ps = append(ps, problem(key+"."+v.name, "must be greater than 0, got %g", v.v))
			ok = false
		case v.v > highest:
			ps = append(ps, problem(key+"."+v.name, "must be at most %g, got %g", highest, v.v))
			ok = false
		}
	}
	if ok && t.Warning >= t.Critical {
		ps = append(ps, problem(key, "warning (%g) must be below critical (%g)", t.Warning, t.Critical))
	}
	return ps
}

func (a Alerts) problems() []*Problem {
	var ps []*Problem
	if a.For < 0 {
		ps = append(ps, problem("alerts.for", "must not be negative, got %s", a.For))
	}
	ps = append(ps, atLeast("alerts.repeat_interval", a.RepeatInterval, time.Minute)...)
	if !(a.Hysteresis >= 0 && a.Hysteresis < 1) {
		ps = append(ps, problem("alerts.hysteresis", "must be at least 0 and below 1, got %g", a.Hysteresis))
	}
	return ps
}

func (p Probes) problems() []*Problem {
	var ps []*Problem
	if p.DiscordAPI != "" {
		if _, ok := httpURL(p.DiscordAPI); !ok {
			ps = append(ps, problem("probes.discord_api", "must be an absolute http(s) URL"))
		}
	}
	for i, s := range p.Internet {
		if _, ok := httpURL(s); !ok {
			ps = append(ps, problem(fmt.Sprintf("probes.internet[%d]", i), "must be an absolute http(s) URL"))
		}
	}
	ps = append(ps, atLeast("probes.interval", p.Interval, time.Second)...)
	switch {
	case p.Timeout <= 0:
		ps = append(ps, problem("probes.timeout", "must be greater than 0, got %s", p.Timeout))
	case p.Timeout > p.Interval:
		ps = append(ps, problem("probes.timeout", "must not exceed probes.interval (%s), got %s", p.Interval, p.Timeout))
	}
	return ps
}

func (p Process) problems() []*Problem {
	var ps []*Problem
	if p.PID < 0 {
		ps = append(ps, problem("process.pid", "must not be negative, got %d", p.PID))
	}
	if p.PID != 0 && p.PIDFile != "" {
		ps = append(ps, problem("process.pid_file", "set either process.pid or process.pid_file, not both"))
	}
	return ps
}

func (s Storage) problems() []*Problem {
	var ps []*Problem
	if s.Path == "" {
		ps = append(ps, problem("storage.path", "must not be empty"))
	}
	if strings.ContainsRune(s.Path, '?') {
		// The SQLite driver reads what follows '?' as connection parameters.
		ps = append(ps, problem("storage.path", "must not contain '?'"))
	}
	if s.Retention != 0 && s.Retention < time.Hour {
		ps = append(ps, problem("storage.retention", "must be 0s (keep forever) or at least 1h, got %s", s.Retention))
	}
	if s.FlushInterval != 0 && (s.FlushInterval < time.Second || s.FlushInterval > time.Minute) {
		ps = append(ps, problem("storage.flush_interval", "must be 0s (commit every report) or from 1s to 1m, got %s", s.FlushInterval))
	}
	return ps
}

func (o Output) problems() []*Problem {
	switch o.Console {
	case ConsoleAuto, ConsoleOn, ConsoleOff:
		return nil
	}
	return []*Problem{problem("output.console", "must be one of auto, on, off, got %q", o.Console)}
}

func (h HTTP) problems() []*Problem {
	if h.Listen == "" {
		return nil
	}
	if !isListenAddr(h.Listen) {
		return []*Problem{problem("http.listen", "must be host:port such as 127.0.0.1:9464 (or empty to disable), got %q", h.Listen)}
	}
	return nil
}

func (r ReceiverOTLP) problems() []*Problem {
	var ps []*Problem
	if r.HTTP != "" && !isListenAddr(r.HTTP) {
		ps = append(ps, problem("receiver.otlp.http", "must be host:port such as 127.0.0.1:4318 (or empty to disable), got %q", r.HTTP))
	}
	between := func(key string, v, lo, hi int) {
		if v < lo || v > hi {
			ps = append(ps, problem(key, "must be between %d and %d, got %d", lo, hi, v))
		}
	}
	between("receiver.otlp.max_request_bytes", r.MaxRequestBytes, 1<<10, 64<<20)
	between("receiver.otlp.max_spans_per_minute", r.MaxSpansPerMinute, 1, 10_000_000)
	between("receiver.otlp.max_points_per_minute", r.MaxPointsPerMinute, 1, 10_000_000)
	between("receiver.otlp.max_series", r.MaxSeries, 1, 100_000)
	return ps
}

// isListenAddr reports whether s is host:port with a numeric port and a
// host that is empty, an IP address or a host name.
func isListenAddr(s string) bool {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return false
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n > math.MaxUint16 {
		return false
	}
	if host == "" || net.ParseIP(host) != nil {
		return true
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

func (o OTLP) problems() []*Problem {
	var ps []*Problem
	if o.Endpoint != "" {
		if _, ok := httpURL(o.Endpoint); !ok {
			ps = append(ps, problem("otlp.endpoint", "must be an absolute http(s) URL such as http://localhost:4317"))
		}
	}
	if msg := protocolProblem(o.Protocol, true); msg != "" {
		ps = append(ps, problem("otlp.protocol", "%s", msg))
	}
	for _, name := range sortedKeys(o.Headers) {
		key := "otlp.headers." + name
		if !isHeaderName(name) {
			ps = append(ps, problem(key, "is not a valid HTTP header name"))
		}
		if strings.ContainsAny(o.Headers[name], "\r\n\x00") {
			ps = append(ps, problem(key, "value must not contain line breaks or NUL"))
		}
	}
	if o.Timeout <= 0 {
		ps = append(ps, problem("otlp.timeout", "must be greater than 0, got %s", o.Timeout))
	}
	ps = append(ps, atLeast("otlp.interval", o.Interval, time.Second)...)
	return ps
}

// isHeaderName reports whether s is an RFC 9110 token.
func isHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// maxInstanceLen bounds fleet.instance: an id, not a description.
const maxInstanceLen = 128

func (f Fleet) problems() []*Problem {
	var ps []*Problem
	switch {
	case !utf8.ValidString(f.Instance):
		ps = append(ps, problem("fleet.instance", "must be valid UTF-8"))
	case strings.TrimSpace(f.Instance) != f.Instance:
		ps = append(ps, problem("fleet.instance", "must not begin or end with spaces, got %s", quoteShort(f.Instance)))
	case strings.IndexFunc(f.Instance, unicode.IsControl) >= 0:
		ps = append(ps, problem("fleet.instance", "must not contain control characters or line breaks, got %s", quoteShort(f.Instance)))
	case utf8.RuneCountInString(f.Instance) > maxInstanceLen:
		ps = append(ps, problem("fleet.instance", "must be at most %d characters, got %d", maxInstanceLen, utf8.RuneCountInString(f.Instance)))
	}
	if f.Shard != nil && *f.Shard < 0 {
		ps = append(ps, problem("fleet.shard", "must be 0 or more (or left out), got %d", *f.Shard))
	}
	return ps
}

func (l Log) problems() []*Problem {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(l.Level)); err != nil {
		return []*Problem{problem("log.level", "must be one of debug, info, warn, error, got %q", l.Level)}
	}
	return nil
}
