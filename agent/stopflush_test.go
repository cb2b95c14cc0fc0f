package agent

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestAgent_finalFlushesAtOnce: at Stop, the watched process's and the
// agent's own final metric exports run at the same time, so a slow or
// unreachable backend costs the stop one export's wait, not the sum of
// them (and the last export is not left without time). The backend here
// holds every request until the test has seen two held at once.
func TestAgent_finalFlushesAtOnce(t *testing.T) {
	var held atomic.Int32
	release := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/metrics" {
			held.Add(1)
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(backend.Close)
	t.Cleanup(open)
	cfg := testConfig(t)
	cfg.OTLP.Endpoint = backend.URL
	cfg.OTLP.Insecure = true
	cfg.OTLP.Interval = time.Hour // only the final exports
	cfg.OTLP.Timeout = 30 * time.Second
	a, err := New(context.Background(), cfg, WithStdout(&syncBuffer{}), WithEnv(noEnv))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Stop(ctx) }()
	waitFor(t, 20*time.Second, "two final metric exports held at once", func() bool { return held.Load() >= 2 })
	open()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Stop: %v", err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("Stop did not return once the backend answered")
	}
}
