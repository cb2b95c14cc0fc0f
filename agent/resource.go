package agent

import (
	"context"
	"fmt"
	"net/url"
	goruntime "runtime"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
)

// newResource builds the agent's resource, each layer over the one before:
// service.name "nexusmon" or otlp.service_name, service.version, the host,
// the process and the SDK; then the resource given with WithResource; then
// OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, read through the WithEnv
// lookup (never the process environment directly). A malformed pair in
// OTEL_RESOURCE_ATTRIBUTES is skipped and logged, as the SDK does.
func (a *Agent) newResource(ctx context.Context) (*resource.Resource, error) {
	serviceName := a.cfg.OTLP.ServiceName
	if serviceName == "" {
		serviceName = "nexusmon"
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(
			attribute.String("service.name", serviceName),
			attribute.String("service.version", Version),
			attribute.String("process.runtime.version", goruntime.Version()),
		),
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
	return res, nil
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
