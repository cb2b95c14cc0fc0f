package agent

import (
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/nexusmon/nexusmon/agent/internal/httpapi"
)

// httpDeps is what the HTTP listener (internal/httpapi) takes from the
// agent; the configuration is read per request, so reloaded keys apply.
func (a *Agent) httpDeps() httpapi.Deps {
	return httpapi.Deps{
		Version:      Version,
		Metrics:      promhttp.HandlerFor(a.promReg, promhttp.HandlerOpts{EnableOpenMetrics: true}),
		Health:       a.health,
		Reload:       a.ReloadConfigFile,
		NoConfigFile: errNoConfigFile,
		RemoteReload: func() bool { return a.Config().HTTP.RemoteReload },
		PProf:        func() bool { return a.Config().HTTP.PProf },
		Log:          a.log,
	}
}

// health is the agent's state for /healthz: up until Stop has begun.
func (a *Agent) health() httpapi.Health {
	a.bgMu.Lock()
	up := !a.stopping
	a.bgMu.Unlock()
	body := httpapi.Health{Up: up, Version: Version, StartedAt: a.started.UTC(), Store: a.st.Status(), ReportErrors: a.reporter.Errors()}
	if t := a.reporter.LastExport(); !t.IsZero() {
		t = t.UTC()
		body.LastCollection = &t
	}
	if a.delivery != nil {
		body.Delivery = &httpapi.DeliveryHealth{Durable: a.delivery.Durable(), MemoryQueue: a.delivery.MemoryDepth()}
	}
	return body
}
