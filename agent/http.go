package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/internal/store"
)

// The HTTP listener (http.listen): / names the endpoints, /metrics is the
// Prometheus exposition, /healthz the agent's state, POST /-/reload
// reloads the configuration as SIGHUP does, and /debug/pprof/ serves the
// runtime's profiles when http.pprof is on (pprof.go).

const httpIndex = `nexusmon %s
/metrics    Prometheus metrics (OpenMetrics)
/healthz    agent state as JSON: 200 while up, 503 while stopping
/-/reload   POST: reload the configuration file (as SIGHUP does)
%s`

func (a *Agent) newHTTPServer(reg *prometheus.Registry) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	mux.HandleFunc("/healthz", a.healthz)
	mux.HandleFunc("/-/reload", a.reloadHandler)
	mux.HandleFunc("/debug/pprof/", a.pprofHandler)
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		pp := ""
		if a.Config().HTTP.PProf {
			pp = "/debug/pprof/  Go runtime profiles (http.pprof, loopback clients only)\n"
		}
		fmt.Fprintf(w, httpIndex, Version, pp)
	})
	return &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
}

// reloadHandler is POST /-/reload: 200 when the configuration was reloaded
// (naming the keys that need a restart), 400 with every problem when the
// file is invalid (problems never hold secrets), 403 for a client that is
// not on loopback unless http.remote_reload is on, 405 for another method.
func (a *Agent) reloadHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST to reload the configuration", http.StatusMethodNotAllowed)
		return
	}
	if !a.Config().HTTP.RemoteReload && !loopbackClient(r.RemoteAddr) {
		http.Error(w, "reload is accepted from loopback only (http.remote_reload: false)", http.StatusForbidden)
		return
	}
	restart, err := a.ReloadConfigFile(r.Context())
	switch {
	case errors.Is(err, errNoConfigFile):
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

type healthzBody struct {
	Up             bool            `json:"up"`
	Degraded       bool            `json:"degraded"`
	Version        string          `json:"version"`
	StartedAt      time.Time       `json:"started_at"`
	LastCollection *time.Time      `json:"last_collection"`
	Store          store.Status    `json:"store"`
	Delivery       *deliveryHealth `json:"delivery,omitempty"`
	ReportErrors   int64           `json:"report_errors"`
}

// deliveryHealth is /healthz's view of the Discord delivery.
type deliveryHealth struct {
	Durable     bool `json:"durable"`      // false while messages or state wait in memory for the store
	MemoryQueue int  `json:"memory_queue"` // messages waiting in memory
}

// healthz answers 200 with "up": true while the agent runs: it is up,
// collecting and reporting. A failing store does not make it 503:
// restarting would not free the disk and would lose what waits in memory.
// It sets "degraded" instead, with the store's and the delivery's state.
// Once Stop has begun it answers 503 with "up": false. The status is
// derived from the body, so the two always agree.
func (a *Agent) healthz(w http.ResponseWriter, _ *http.Request) {
	a.bgMu.Lock()
	up := !a.stopping
	a.bgMu.Unlock()
	body := healthzBody{Up: up, Version: Version, StartedAt: a.started.UTC(), Store: a.st.Status(), ReportErrors: a.reporter.Errors()}
	if t := a.reporter.LastExport(); !t.IsZero() {
		t = t.UTC()
		body.LastCollection = &t
	}
	if a.delivery != nil {
		body.Delivery = &deliveryHealth{Durable: a.delivery.Durable(), MemoryQueue: a.delivery.MemoryDepth()}
	}
	body.Degraded = !body.Store.OK || !body.Store.Writable || (body.Delivery != nil && !body.Delivery.Durable)
	w.Header().Set("Content-Type", "application/json")
	if !body.Up {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	if err := json.NewEncoder(w).Encode(body); err != nil {
		a.log.Debug("write healthz", "err", err)
	}
}
