package httpapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
)

// A daemon started with http.pprof off samples no heap allocations
// (cmd/nexusmon); once http.pprof is on, the first profile request turns
// sampling on, so that the heap and allocs profiles fill from then on. A
// request while http.pprof is off changes nothing.
func TestPProf_turnsHeapSamplingOn(t *testing.T) {
	// Not parallel: it sets the process's runtime.MemProfileRate.
	before := runtime.MemProfileRate
	t.Cleanup(func() { runtime.MemProfileRate = before })
	on := false
	h := Handler(Deps{PProf: func() bool { return on }, Metrics: http.NotFoundHandler()})
	get := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.RemoteAddr = "127.0.0.1:40000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	runtime.MemProfileRate = 0
	if rec := get("/debug/pprof/heap"); rec.Code != http.StatusNotFound || runtime.MemProfileRate != 0 {
		t.Fatalf("http.pprof off: %d, MemProfileRate %d; want 404 and 0", rec.Code, runtime.MemProfileRate)
	}
	on = true
	if rec := get("/debug/pprof/heap?debug=1"); rec.Code != http.StatusOK || runtime.MemProfileRate != heapSamplingRate {
		t.Fatalf("http.pprof on: %d, MemProfileRate %d; want 200 and %d", rec.Code, runtime.MemProfileRate, heapSamplingRate)
	}
	sink := make([][]byte, 0, 64)
	for range 64 {
		sink = append(sink, make([]byte, 64<<10)) // 4 MiB: about 8 samples
	}
	runtime.GC() // the heap profile shows the last completed cycle
	if rec := get("/debug/pprof/allocs?debug=1"); !bytes.Contains(rec.Body.Bytes(), []byte("TestPProf_turnsHeapSamplingOn")) {
		t.Errorf("allocs profile after 4 MiB allocated here does not name this test:\n%.600s", rec.Body.String())
	}
	runtime.KeepAlive(sink)

	runtime.MemProfileRate = 12345 // a rate the program chose is kept
	get("/debug/pprof/")
	if runtime.MemProfileRate != 12345 {
		t.Errorf("MemProfileRate %d after a request, want the program's 12345", runtime.MemProfileRate)
	}
}
