package nodetest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestVersionOK(t *testing.T) {
	for v, want := range map[string]bool{
		"v18.18.2": false, "v18.19.0": true, "v18.20.4": true, "v20.20.2": true, "v22.1.0": true,
		"v16.20.0": false, "v100.0.0": true, "18.19.0": false, "": false,
	} {
		if got := VersionOK(v); got != want {
			t.Errorf("VersionOK(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestStale(t *testing.T) {
	dir := t.TempDir()
	touch := func(name string, at time.Time) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	touch("package.json", base)
	touch("package-lock.json", base)
	if stale, why := Stale(dir); !stale || why != "no node_modules/.package-lock.json" {
		t.Errorf("without node_modules: %v %q", stale, why)
	}
	touch("node_modules/.package-lock.json", base.Add(time.Minute))
	if stale, why := Stale(dir); stale {
		t.Errorf("after an install: stale (%s)", why)
	}
	touch("package-lock.json", base.Add(2*time.Minute))
	if stale, why := Stale(dir); !stale || why != "package-lock.json is newer than node_modules" {
		t.Errorf("after a lockfile change: %v %q", stale, why)
	}
	touch("node_modules/.package-lock.json", base.Add(3*time.Minute))
	touch("package.json", base.Add(4*time.Minute))
	if stale, why := Stale(dir); !stale || why != "package.json is newer than node_modules" {
		t.Errorf("after a package.json change: %v %q", stale, why)
	}
}

func TestEnv(t *testing.T) {
	t.Setenv("OTEL_SERVICE_NAME", "from-the-test")
	t.Setenv("otel_exporter_otlp_endpoint", "http://elsewhere")
	t.Setenv("HTTPS_PROXY", "http://proxy")
	t.Setenv("DISCORD_TOKEN", "secret")
	t.Setenv("NODETEST_KEEP", "1")
	env := Env("OTEL_SERVICE_NAME=bot")
	for _, kv := range env {
		switch kv {
		case "OTEL_SERVICE_NAME=from-the-test", "otel_exporter_otlp_endpoint=http://elsewhere", "HTTPS_PROXY=http://proxy", "DISCORD_TOKEN=secret":
			t.Errorf("Env kept %s", kv)
		}
	}
	if !slices.Contains(env, "NODETEST_KEEP=1") || env[len(env)-1] != "OTEL_SERVICE_NAME=bot" {
		t.Errorf("Env = %v, want the rest of the environment, then the extra variables", env)
	}
}
