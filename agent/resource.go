package agent

import (
	"context"
	"fmt"
	"net/url"
	goruntime "runtime"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/internal/names"
)

// newResource builds the agent's resource, each layer over the one before:
// service.name "nexusmon" or otlp.service_name, service.version, the host,
// the process and the SDK, fleet.instance (service.instance.id) and
// fleet.shard (discord.shard.id, else the shard of a sharded session given
// with WithSession); then the resource given with WithResource; then
// OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, read through the WithEnv
// lookup (never the process environment directly). A malformed pair in
// OTEL_RESOURCE_ATTRIBUTES is skipped and logged, as the SDK does.
//
// The resource is fixed here, before the MeterProvider is built: a session
// sharded only after New, and the agent's own session (never sharded), leave
// the shard to the discord.shard.id gauge, which follows the session's READY.
func (a *Agent) newResource(ctx context.Context) (*resource.Resource, error) {
	serviceName := a.cfg.OTLP.ServiceName
	if serviceName == "" {
		serviceName = "nexusmon"
	}
	base := []attribute.KeyValue{
		attribute.String("service.name", serviceName),
		attribute.String("service.version", Version),
		attribute.String("process.runtime.version", goruntime.Version()),
	}
	base = append(base, a.fleetAttributes()...)
	res, err := resource.New(ctx,
		resource.WithAttributes(base...),
		resource.WithHost(),
		resource.WithProcessPID(),
		resource.WithTelemetrySDK(),
	)
	if err != nil && res == nil {
		return nil, fmt.Errorf("build resource: %w", err)
	}
	if a.opts.resource != nil {
		res = mergeResource(res, a.opts.resource)
	}
	attrs, bad := envResourceAttributes(a.opts.env)
	for _, b := range bad {
		a.log.Warn("OTEL_RESOURCE_ATTRIBUTES: pair skipped", "pair", b)
	}
	if v, ok := a.opts.env("OTEL_SERVICE_NAME"); ok && strings.TrimSpace(v) != "" {
		attrs = append(attrs, attribute.String("service.name", strings.TrimSpace(v)))
	}
	if len(attrs) > 0 {
		res = mergeResource(res, resource.NewSchemaless(attrs...))
	}
	a.logFleetOverrides(attrs)
	return res, nil
}

// fleetAttributes are service.instance.id from fleet.instance and
// discord.shard.id from fleet.shard, else from the session given with
// WithSession when it is sharded (ShardCount > 1) when New runs. The shard
// attribute has the name of the agent's discord.shard.id gauge: a fleet
// gateway reads the attribute first, the gauge when there is none.
func (a *Agent) fleetAttributes() []attribute.KeyValue {
	var kv []attribute.KeyValue
	if id := a.cfg.Fleet.Instance; id != "" {
		kv = append(kv, attribute.String(names.AttrServiceInstance, id))
	}
	switch s := a.opts.session; {
	case a.cfg.Fleet.Shard != nil:
		kv = append(kv, attribute.Int(names.DiscordShardID, *a.cfg.Fleet.Shard))
	case s != nil:
		s.RLock()
		id, count := s.ShardID, s.ShardCount
		s.RUnlock()
		if count > 1 && id >= 0 && id < count {
			kv = append(kv, attribute.Int(names.DiscordShardID, id))
		}
	}
	return kv
}

// logFleetOverrides says when OTEL_RESOURCE_ATTRIBUTES (env) replaces a
// fleet key's value: the variable wins, and two sources disagreeing is
// worth a line in the log.
func (a *Agent) logFleetOverrides(env []attribute.KeyValue) {
	for _, kv := range env {
		switch {
		case string(kv.Key) == names.AttrServiceInstance && a.cfg.Fleet.Instance != "" && kv.Value.AsString() != a.cfg.Fleet.Instance:
			a.log.Info("OTEL_RESOURCE_ATTRIBUTES sets service.instance.id; it wins over fleet.instance",
				"service.instance.id", kv.Value.AsString(), "fleet.instance", a.cfg.Fleet.Instance)
		case string(kv.Key) == names.DiscordShardID && a.cfg.Fleet.Shard != nil && kv.Value.AsString() != strconv.Itoa(*a.cfg.Fleet.Shard):
			a.log.Info("OTEL_RESOURCE_ATTRIBUTES sets discord.shard.id; it wins over fleet.shard",
				"discord.shard.id", kv.Value.AsString(), "fleet.shard", *a.cfg.Fleet.Shard)
		}
	}
}

// mergeResource returns base with over's attributes winning. Two different
// schema URLs cannot both be kept: the attributes are then merged without one.
func mergeResource(base, over *resource.Resource) *resource.Resource {
	// On resource.ErrSchemaURLConflict, merged is schemaless with every attribute.
	merged, _ := resource.Merge(base, over)
	return merged
}

// envResourceAttributes parses OTEL_RESOURCE_ATTRIBUTES as the OTel
// specification defines it: comma-separated key=value pairs, values
// percent-decoded, surrounding spaces trimmed. It returns the malformed
// pairs separately (without their values, which may be private).
func envResourceAttributes(env func(string) (string, bool)) (attrs []attribute.KeyValue, bad []string) {
	v, ok := env("OTEL_RESOURCE_ATTRIBUTES")
	if !ok || strings.TrimSpace(v) == "" {
		return nil, nil
	}
	for _, pair := range strings.Split(v, ",") {
		k, val, found := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		if !found || k == "" {
			bad = append(bad, fmt.Sprintf("%q", strings.TrimSpace(k)))
			continue
		}
		dec, err := url.PathUnescape(strings.TrimSpace(val))
		if err != nil {
			bad = append(bad, fmt.Sprintf("%q (value not percent-encoded correctly)", k))
			continue
		}
		attrs = append(attrs, attribute.String(k, dec))
	}
	return attrs, bad
}

// logFleetMode says, once at start, that the agent runs as one instance of
// a fleet: it exports OTLP (the caller checks), has no Discord destination
// of its own (it posts no report or alert; a fleet gateway does) and its
// resource names the instance or the shard.
func (a *Agent) logFleetMode(res *resource.Resource) {
	if a.cfg.Discord.Mode() != config.DeliveryConsole {
		return
	}
	id, hasID := res.Set().Value(attribute.Key(names.AttrServiceInstance))
	shard, hasShard := res.Set().Value(attribute.Key(names.DiscordShardID))
	if !hasID && !hasShard {
		return
	}
	sh := "(from the discord.shard.id gauge)"
	if hasShard {
		sh = shard.String()
	}
	a.log.Info("fleet mode: no Discord destination, the fleet gateway posts for this instance",
		"service.instance.id", id.String(), "discord.shard.id", sh)
}
