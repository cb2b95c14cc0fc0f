package httpapi

import (
	"fmt"
	"net/http"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

// /debug/pprof/ (http.pprof): the Go runtime's profiles for go tool pprof,
// served by the agent's own handler rather than net/http/pprof, whose
// import registers the handlers on http.DefaultServeMux, which a Go bot
// embedding the agent may serve publicly.

const pprofIndex = `nexusmon profiles (go tool pprof http://HOST/debug/pprof/NAME)
profile?seconds=30   CPU profile over the given seconds (at most 300)
%s`

// heapSamplingRate is the runtime's default runtime.MemProfileRate.
const heapSamplingRate = 512 << 10

// maxProfileSeconds bounds a CPU profile's duration.
const maxProfileSeconds = 300

// pprofHandler serves /debug/pprof/. It answers 404 while http.pprof is
// off (the key is reloaded: it is read per request) and 403 to a client
// that is not on loopback.
func (d Deps) pprofHandler(w http.ResponseWriter, r *http.Request) {
	if !d.PProf() {
		http.NotFound(w, r)
		return
	}
	if !loopbackClient(r.RemoteAddr) {
		http.Error(w, "profiles are served to loopback clients only", http.StatusForbidden)
		return
	}
	if runtime.MemProfileRate == 0 {
		// The daemon samples no heap allocations while http.pprof is off
		// (cmd/nexusmon): from now on the heap and allocs profiles fill.
		runtime.MemProfileRate = heapSamplingRate
	}
	name := strings.TrimPrefix(r.URL.Path, "/debug/pprof/")
	switch name {
	case "":
		var b strings.Builder
		for _, p := range pprof.Profiles() {
			fmt.Fprintf(&b, "%-20s %d\n", p.Name(), p.Count())
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, pprofIndex, b.String())
	case "profile":
		cpuProfile(w, r)
	default:
		p := pprof.Lookup(name)
		if p == nil {
			http.NotFound(w, r)
			return
		}
		debug, _ := strconv.Atoi(r.FormValue("debug"))
		if debug > 0 {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		} else {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
		}
		if err := p.WriteTo(w, debug); err != nil {
			d.Log.Debug("write profile", "profile", name, "err", err)
		}
	}
}

// cpuProfile writes a CPU profile over ?seconds= (default 30).
func cpuProfile(w http.ResponseWriter, r *http.Request) {
	secs := 30
	if s := r.FormValue("seconds"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > maxProfileSeconds {
			http.Error(w, fmt.Sprintf("seconds must be 1 to %d, got %q", maxProfileSeconds, s), http.StatusBadRequest)
			return
		}
		secs = n
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="profile"`)
	if err := pprof.StartCPUProfile(w); err != nil {
		w.Header().Del("Content-Disposition")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		http.Error(w, fmt.Sprintf("start cpu profile: %v", err), http.StatusConflict)
		return
	}
	t := time.NewTimer(time.Duration(secs) * time.Second)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
	pprof.StopCPUProfile()
}
