package agent

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// pprofGet fetches path from the agent's HTTP listener and returns the
// status and the body.
func pprofGet(t *testing.T, a *Agent, path string) (int, []byte) {
	t.Helper()
	resp, err := http.Get("http://" + a.HTTPAddr() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close() // read-only
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// gzipMagic starts every profile runtime/pprof writes (gzip-compressed
// protobuf, what go tool pprof reads).
var gzipMagic = []byte{0x1f, 0x8b}

// /debug/pprof/ answers 404 by default (http.pprof: false); with
// http.pprof on (here by a reload) it serves the index, the named profiles
// and a CPU profile, and 404 for an unknown profile.
func TestAgent_pprof(t *testing.T) {
	t.Parallel()
	f := newReloadFixture(t)
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/profile?seconds=1"} {
		if code, _ := pprofGet(t, f.a, p); code != http.StatusNotFound {
			t.Errorf("GET %s with http.pprof off = %d, want 404", p, code)
		}
	}

	f.write("http: {listen: \"127.0.0.1:0\", pprof: true}\n")
	restart, err := f.a.ReloadConfigFile(context.Background())
	if err != nil || len(restart) != 0 {
		t.Fatalf("reload turning http.pprof on: restart %v, err %v", restart, err)
	}
	if code, body := pprofGet(t, f.a, "/debug/pprof/"); code != http.StatusOK || !bytes.Contains(body, []byte("heap")) || !bytes.Contains(body, []byte("profile?seconds=")) {
		t.Errorf("GET /debug/pprof/ = %d\n%s\nwant 200 with an index naming heap and profile", code, body)
	}
	for _, p := range []string{"/debug/pprof/heap", "/debug/pprof/allocs", "/debug/pprof/goroutine", "/debug/pprof/profile?seconds=1"} {
		if code, body := pprofGet(t, f.a, p); code != http.StatusOK || !bytes.HasPrefix(body, gzipMagic) {
			t.Errorf("GET %s = %d (%d bytes), want 200 with a gzip-compressed profile", p, code, len(body))
		}
	}
	if code, body := pprofGet(t, f.a, "/debug/pprof/goroutine?debug=1"); code != http.StatusOK || !bytes.Contains(body, []byte("goroutine profile:")) {
		t.Errorf("GET goroutine?debug=1 = %d\n%s\nwant the text form", code, body)
	}
	for _, p := range []string{"/debug/pprof/nosuch", "/debug/pprof/profile?seconds=x"} {
		if code, _ := pprofGet(t, f.a, p); code != http.StatusNotFound && code != http.StatusBadRequest {
			t.Errorf("GET %s = %d, want 404 or 400", p, code)
		}
	}
}

// Profiles are served to loopback clients only, whatever http.listen binds.
func TestAgent_pprofRemoteClient(t *testing.T) {
	t.Parallel()
	f := newReloadFixture(t)
	f.write("http: {listen: \"127.0.0.1:0\", pprof: true}\n")
	if _, err := f.a.ReloadConfigFile(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/debug/pprof/heap", nil)
	req.RemoteAddr = "192.0.2.7:40000" // TEST-NET-1: never dialled, only named
	f.a.httpSrv.Handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Errorf("remote GET /debug/pprof/heap = %d, want 403", rec.Code)
	}
}
