package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/internal/storeapi"
)

// Deps is what the endpoints take from the agent. The func values are
// called per request, so reloaded keys apply at once.
type Deps struct {
	Version string
	Metrics http.Handler // /metrics
	// Health is the agent's state for /healthz; Degraded is derived here.
	Health func() Health
	// Reload reloads the configuration file and names the keys that need a
	// restart. When it returns an error that is NoConfigFile, /-/reload
	// answers 501.
	Reload       func(context.Context) (restart []string, err error)
	NoConfigFile error
	RemoteReload func() bool // http.remote_reload
	PProf        func() bool // http.pprof
	Log          *slog.Logger
}

const httpIndex = `nexusmon %s
/metrics    Prometheus metrics (OpenMetrics)
/healthz    agent state as JSON: 200 while up, 503 while stopping
/-/reload   POST: reload the configuration file (as SIGHUP does)
%s`

// NewServer returns the listener's server; the caller serves and shuts it down.
func NewServer(d Deps) *http.Server {
	return &http.Server{Handler: Handler(d), ReadHeaderTimeout: 5 * time.Second}
}

// Handler routes the endpoints.
func Handler(d Deps) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", d.Metrics)
	mux.HandleFunc("/healthz", d.healthz)
	mux.HandleFunc("/-/reload", d.reloadHandler)
	mux.HandleFunc("/debug/pprof/", d.pprofHandler)
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		pp := ""
		if d.PProf() {
			pp = "/debug/pprof/  Go runtime profiles (http.pprof, loopback clients only)\n"
		}
		fmt.Fprintf(w, httpIndex, d.Version, pp)
	})
	return mux
}

// reloadHandler is POST /-/reload: 200 when the configuration was reloaded
// (naming the keys that need a restart), 400 with every problem when the
// file is invalid (problems never hold secrets), 403 for a client that is
// not on loopback unless http.remote_reload is on, 405 for another method.
func (d Deps) reloadHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST to reload the configuration", http.StatusMethodNotAllowed)
		return
	}
	if !d.RemoteReload() && !loopbackClient(r.RemoteAddr) {
		http.Error(w, "reload is accepted from loopback only (http.remote_reload: false)", http.StatusForbidden)
		return
	}
	restart, err := d.Reload(r.Context())
	switch {
	case d.NoConfigFile != nil && errors.Is(err, d.NoConfigFile):
		http.Error(w, err.Error(), http.StatusNotImplemented)
		return
	case err != nil:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintln(w, "config reload refused; the running configuration is kept:")
		if ps := config.Problems(err); len(ps) > 0 {
			for _, p := range ps {
				fmt.Fprintln(w, p.Error())
			}
		} else {
			fmt.Fprintln(w, err)
		}
		return
	}
	fmt.Fprintln(w, "config reloaded")
	if len(restart) > 0 {
		fmt.Fprintf(w, "needs a restart (running values kept): %s\n", strings.Join(restart, ", "))
	}
}

// loopbackClient reports whether addr (host:port) is a loopback address.
func loopbackClient(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Health is the /healthz body.
type Health struct {
	Up             bool            `json:"up"`
	Degraded       bool            `json:"degraded"`
	Version        string          `json:"version"`
	StartedAt      time.Time       `json:"started_at"`
	LastCollection *time.Time      `json:"last_collection"`
	Store          storeapi.Status `json:"store"`
	Delivery       *DeliveryHealth `json:"delivery,omitempty"`
	ReportErrors   int64           `json:"report_errors"`
}

// DeliveryHealth is /healthz's view of the Discord delivery.
type DeliveryHealth struct {
	Durable     bool `json:"durable"`      // false while messages or state wait in memory for the store
	MemoryQueue int  `json:"memory_queue"` // messages waiting in memory
}

// healthz answers 200 with "up": true while the agent runs: it is up,
// collecting and reporting. A failing store does not make it 503:
// restarting would not free the disk and would lose what waits in memory.
// It sets "degraded" instead, with the store's and the delivery's state.
// Once Stop has begun it answers 503 with "up": false. The status is
// derived from the body, so the two always agree.
func (d Deps) healthz(w http.ResponseWriter, _ *http.Request) {
	body := d.Health()
	body.Degraded = !body.Store.OK || !body.Store.Writable || (body.Delivery != nil && !body.Delivery.Durable)
	w.Header().Set("Content-Type", "application/json")
	if !body.Up {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	if err := json.NewEncoder(w).Encode(body); err != nil {
		d.Log.Debug("write healthz", "err", err)
	}
}
