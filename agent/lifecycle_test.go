package agent

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/internal/discordtest"
)

// buildSteps are the steps of New, in order (agent.build and buildBot).
var buildSteps = []string{
	"resource", "store", "events", "readers", "prometheus", "otlp_metrics", "meter_provider",
	"otlp_traces", "self_metrics", "instruments", "sender", "delivery", "observer", "handlers",
}

// TestNew_releasesEverythingOnFailure fails New at each step in turn: the
// error comes back and no reader, exporter, session or file is left behind.
// Not parallel: goleak compares the whole process's goroutines.
func TestNew_releasesEverythingOnFailure(t *testing.T) {
	srv := fakeDiscord(t)
	// OTLP on (to a loopback port nobody serves: nothing is exported during
	// New), so the OTLP steps run too.
	env := envMap(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"})
	for _, step := range buildSteps {
		t.Run(step, func(t *testing.T) {
			before := goleak.IgnoreCurrent()
			cfg := botConfig(t, srv)
			a, err := New(context.Background(), cfg, WithEnv(env), WithStdout(&syncBuffer{}),
				func(o *options) { o.failAt = step })
			if !errors.Is(err, errInjected) {
				if a != nil {
					stopAgent(t, a)
				}
				t.Fatalf("New failing at %s: err = %v, want the injected failure", step, err)
			}
			if a != nil {
				t.Fatal("New returned an agent with its error")
			}
			goleak.VerifyNone(t, before)
			// The store was closed: another agent can open it at once.
			b, err := New(context.Background(), cfg, WithEnv(noEnv), WithStdout(&syncBuffer{}))
			if err != nil {
				t.Fatalf("New after a failed New on the same store: %v", err)
			}
			if err := b.release(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestNew_naturalFailuresRelease covers failures a user can cause: an
// unusable OTLP protocol from the environment (after the readers exist) and
// a Config that skipped LoadConfig.
func TestNew_naturalFailuresRelease(t *testing.T) {
	cases := map[string]struct {
		env  map[string]string
		edit func(*config.Config)
		want string
	}{
		"bogus OTLP metrics protocol from the environment": {
			env:  map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "OTEL_EXPORTER_OTLP_PROTOCOL": "bogus"},
			want: `OTEL_EXPORTER_OTLP_PROTOCOL: must be http/protobuf, http/json or grpc, got "bogus"`,
		},
		"bogus OTLP traces protocol from the environment": {
			env:  map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "bogus"},
			want: `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: must be http/protobuf, http/json or grpc, got "bogus"`,
		},
		"bogus otlp.protocol in an unvalidated Config": {
			edit: func(c *config.Config) { c.OTLP.Endpoint = "http://127.0.0.1:9"; c.OTLP.Protocol = "bogus" },
			want: "otlp.protocol",
		},
		"zero report interval in an unvalidated Config": {
			edit: func(c *config.Config) { c.Reports.System.Interval = 0 },
			want: "reports.system.interval",
		},
		"storage path below a file": {
			edit: func(c *config.Config) { c.Storage.Path = "/dev/null/nexusmon.db" },
			want: "storage.path: open store /dev/null/nexusmon.db: create directory /dev/null: mkdir /dev/null: not a directory",
		},
		"events file below a file": {
			edit: func(c *config.Config) { c.Output.JSONL = "/dev/null/events.jsonl" },
			want: "output.jsonl: open events file /dev/null/events.jsonl: create directory /dev/null: mkdir /dev/null: not a directory",
		},
		"webhook URL whose id is not a Discord id (refused by the config as by the sender)": {
			edit: func(c *config.Config) { c.Discord.WebhookURL = "http://127.0.0.1:9/api/webhooks/1/x" },
			want: "discord.webhook_url: must be an https URL whose path is /api/webhooks/{id}/{token}",
		},
		"events file is a directory": {
			edit: func(c *config.Config) { c.Output.JSONL = "/" },
			want: "output.jsonl: open events file /: is a directory",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			before := goleak.IgnoreCurrent()
			cfg := testConfig(t)
			if tc.edit != nil {
				tc.edit(cfg)
			}
			a, err := New(context.Background(), cfg, WithEnv(envMap(tc.env)), WithStdout(&syncBuffer{}))
			if err == nil {
				stopAgent(t, a)
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to name %q", err, tc.want)
			}
			goleak.VerifyNone(t, before)
		})
	}
}

// TestAgent_noWorkStartedAfterStop: a handler discordgo runs during or after
// Stop (a RESUMED, a fatal close) starts no work: nothing is published into a
// closed store, and no WaitGroup.Add races Stop's Wait (go test -race).
func TestAgent_noWorkStartedAfterStop(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	var logs syncBuffer
	a, _ := startAgent(t, cfg, WithLogger(newTestLogger(&logs)))
	var wg sync.WaitGroup
	stopDone := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stopDone:
				return
			default:
				a.onResumed(nil, nil)
				// Each call starts a publish; paced so that the backlog
				// Stop waits for stays small on a loaded machine.
				time.Sleep(time.Millisecond)
			}
		}
	}()
	// Stop waits for the publishes started before it; the deadline is for
	// a slow -race run, not a bound this test checks.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := a.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
	close(stopDone)
	wg.Wait()
	// After Stop: nothing starts, nothing is logged about a closed store.
	a.onResumed(nil, nil)
	a.onGatewayFatal(4004, "Authentication failed.")
	if err := a.waitBackground(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := logs.String(); strings.Contains(got, "publish resume notice") || strings.Contains(got, "publish gateway notice") {
		t.Errorf("work ran after Stop:\n%s", got)
	}
}

// TestAgent_stopHonoursDeadline: Stop returns by its deadline while the fake
// Discord holds the gateway handshake, and while command registration hangs.
func TestAgent_stopHonoursDeadline(t *testing.T) {
	t.Parallel()
	cases := map[string]func(*discordtest.Server){
		"gateway URL held": func(srv *discordtest.Server) {
			srv.Script("GET /gateway", discordtest.Reply{Delay: 10 * time.Minute})
		},
		"gateway handshake held": func(srv *discordtest.Server) { srv.HoldHello(true) },
		"command registration hangs": func(srv *discordtest.Server) {
			srv.Script("GET /applications/{id}/guilds/{id}/commands", discordtest.Reply{Delay: 10 * time.Minute})
			srv.Script("PUT /applications/{id}/guilds/{id}/commands", discordtest.Reply{Delay: 10 * time.Minute})
			srv.Script("POST /applications/{id}/guilds/{id}/commands", discordtest.Reply{Delay: 10 * time.Minute})
		},
	}
	for name, hold := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := fakeDiscord(t)
			hold(srv)
			cfg := botConfig(t, srv)
			a, _ := startAgent(t, cfg)
			if name == "command registration hangs" {
				waitFor(t, 20*time.Second, "the registration request", func() bool { return srv.Identifies() >= 1 })
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- a.Stop(ctx) }()
			select {
			case err := <-done:
				// nil: the held work was cancelled and ended in time,
				// not merely left running past the deadline.
				if err != nil {
					t.Errorf("Stop: %v", err)
				}
			case <-time.After(15 * time.Second):
				// Far past the 2 s deadline, and short of the 20 s a
				// held request would take to time out by itself.
				t.Fatal("Stop did not return by its deadline")
			}
		})
	}
}

func newTestLogger(w *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestAgent_eachStartBeginsNewLiveMessages: two runs against one store and
// one Discord give two live system messages, each edited by its own run.
func TestAgent_eachStartBeginsNewLiveMessages(t *testing.T) {
	t.Parallel()
	srv := fakeDiscord(t)
	cfg := botConfig(t, srv)
	ch := discordtest.DefaultChannelID
	edited := func(n int) func() bool {
		return func() bool {
			msgs := titled(srv.Messages(ch), "Detailed System Monitor")
			return len(msgs) == n && !msgs[n-1].EditedAt.IsZero()
		}
	}
	a, _ := startAgent(t, cfg)
	waitFor(t, 30*time.Second, "the first run's live system message, edited", edited(1))
	stopAgent(t, a)

	b, _ := startAgent(t, cfg)
	waitFor(t, 30*time.Second, "a second live system message, edited by the second run", edited(2))
	stopAgent(t, b)
	msgs := titled(srv.Messages(ch), "Detailed System Monitor")
	if len(msgs) != 2 || msgs[0].ID == msgs[1].ID {
		t.Fatalf("%d live system messages after two runs, want 2", len(msgs))
	}
}
