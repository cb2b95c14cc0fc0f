package otlpexport

import (
	"testing"
)

// A forwarder whose backend does not keep up drops instead of blocking the
// receiver's handler.
func TestForwarder_fullQueueDrops(t *testing.T) {
	t.Parallel()
	f := &Forwarder{ // never started: nothing drains the queues
		traces:  httpUploader{},
		metrics: httpUploader{},
		traceQ:  make(chan request, forwardQueue),
		metricQ: make(chan request, forwardQueue),
	}
	for i := range forwardQueue {
		if !f.ForwardTraces([]byte{}, false) || !f.ForwardMetrics([]byte{}, true) {
			t.Fatalf("request %d refused below the queue bound", i)
		}
	}
	if f.ForwardTraces([]byte{}, false) || f.ForwardMetrics([]byte{}, false) {
		t.Error("a full queue accepted a request")
	}
}
