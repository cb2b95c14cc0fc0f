package agent

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
)

func resourceValue(t *testing.T, res *resource.Resource, key string) (string, bool) {
	t.Helper()
	v, ok := res.Set().Value(attribute.Key(key))
	return v.AsString(), ok
}

// TestNew_resourceFromInjectedEnv: OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES come through WithEnv, never from the process
// environment.
func TestNew_resourceFromInjectedEnv(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "leaked=from-process")
	t.Setenv("OTEL_SERVICE_NAME", "process-name")
	cfg := testConfig(t)
	cfg.OTLP.ServiceName = "from-config"
	env := envMap(map[string]string{
		"OTEL_SERVICE_NAME":        "mybot",
		"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=prod, team=a%2Cb ,service.name=ignored,broken, =novalue",
	})
	a, err := New(context.Background(), cfg, WithEnv(env), WithStdout(&syncBuffer{}))
	if err != nil {
		t.Fatal(err)
	}
	defer stopAgent(t, a)
	want := map[string]string{
		"service.name":                "mybot", // OTEL_SERVICE_NAME wins over service.name in the attributes
		"deployment.environment.name": "prod",
		"team":                        "a,b", // values are percent-decoded
	}
	for k, w := range want {
		if v, ok := resourceValue(t, a.res, k); !ok || v != w {
			t.Errorf("resource %s = %q (set %v), want %q", k, v, ok, w)
		}
	}
	if v, ok := resourceValue(t, a.res, "leaked"); ok {
		t.Errorf("resource took leaked=%q from the process environment", v)
	}
	if _, ok := resourceValue(t, a.res, "host.name"); !ok {
		t.Error("resource lost host.name")
	}
}

// TestNew_resourceWithoutEnv: no variables: service.name is otlp.service_name.
func TestNew_resourceWithoutEnv(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "leaked=from-process")
	cfg := testConfig(t)
	cfg.OTLP.ServiceName = "from-config"
	a, err := New(context.Background(), cfg, WithEnv(noEnv), WithStdout(&syncBuffer{}))
	if err != nil {
		t.Fatal(err)
	}
	defer stopAgent(t, a)
	if v, _ := resourceValue(t, a.res, "service.name"); v != "from-config" {
		t.Errorf("service.name = %q, want from-config", v)
	}
	if _, ok := resourceValue(t, a.res, "leaked"); ok {
		t.Error("resource read OTEL_RESOURCE_ATTRIBUTES from the process environment")
	}
}
