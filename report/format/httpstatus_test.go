package format

import (
	"net/http"
	"testing"
)

func TestStatusText(t *testing.T) {
	t.Parallel()
	for code := range 1000 {
		if got, want := StatusText(code), http.StatusText(code); got != want {
			t.Errorf("statusText(%d) = %q, want %q (net/http)", code, got, want)
		}
	}
}
