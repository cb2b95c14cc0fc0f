package discordapi

import (
	"net/http"
	"testing"
)

func TestRateLimitScope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		h    http.Header
		want string
	}{
		{http.Header{"X-Ratelimit-Scope": {"shared"}}, "shared"},
		{http.Header{"X-Ratelimit-Scope": {" User "}}, "user"},
		{http.Header{"X-Ratelimit-Scope": {"global"}}, "global"},
		{http.Header{"X-Ratelimit-Global": {"true"}}, "global"},
		{http.Header{"X-Ratelimit-Scope": {"odd"}, "X-Ratelimit-Global": {"true"}}, "global"},
		{http.Header{"X-Ratelimit-Scope": {"user"}, "X-Ratelimit-Global": {"true"}}, "global"},
		{http.Header{"X-Ratelimit-Scope": {"odd"}}, ""},
		{http.Header{}, ""},
	}
	for _, tc := range tests {
		if got := RateLimitScope(tc.h.Get); got != tc.want {
			t.Errorf("RateLimitScope(%v) = %q, want %q", tc.h, got, tc.want)
		}
	}
}
