package ratelimit

import (
	"encoding/json"
	"testing"
	"time"
)

func TestWindows_Take(t *testing.T) {
	t.Parallel()
	const route = "POST /channels/{id}/messages"
	t0 := time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)
	l := Limit{Limit: 2, Window: 5 * time.Second}
	var w Windows
	steps := []struct {
		major     string
		at        time.Duration
		remaining string
		after     string
		limited   bool
	}{
		{"1", 0, "1", "5.000", false},
		{"1", time.Second, "0", "4.000", false},
		{"2", time.Second, "1", "5.000", false}, // another major parameter: its own window
		{"1", 2*time.Second + 500*time.Millisecond, "0", "2.500", true},
		{"1", 5 * time.Second, "1", "5.000", false}, // the window ended exactly: a new one
	}
	for i, st := range steps {
		h, body := w.Take(route, st.major, l, t0.Add(st.at))
		if got := h.Get("X-RateLimit-Remaining"); got != st.remaining {
			t.Errorf("step %d: remaining %q, want %q", i, got, st.remaining)
		}
		if got := h.Get("X-RateLimit-Reset-After"); got != st.after {
			t.Errorf("step %d: reset after %q, want %q", i, got, st.after)
		}
		if h.Get("X-RateLimit-Limit") != "2" || h.Get("X-RateLimit-Bucket") != bucketHash(route) {
			t.Errorf("step %d: headers %v", i, h)
		}
		if (body != nil) != st.limited {
			t.Fatalf("step %d: body %s, want limited %v", i, body, st.limited)
		}
		if !st.limited {
			if h.Get("Retry-After") != "" || h.Get("X-RateLimit-Scope") != "" {
				t.Errorf("step %d: 429 headers on a normal answer: %v", i, h)
			}
			continue
		}
		var b struct {
			RetryAfter float64 `json:"retry_after"`
			Global     bool    `json:"global"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			t.Fatal(err)
		}
		if b.RetryAfter != 2.5 || b.Global || h.Get("Retry-After") != "3" || h.Get("X-RateLimit-Scope") != "user" {
			t.Errorf("step %d: 429 body %s headers %v", i, body, h)
		}
		wantReset := float64(t0.Add(5*time.Second).UnixNano()) / 1e9
		if got := h.Get("X-RateLimit-Reset"); got != fmtSeconds(wantReset) {
			t.Errorf("step %d: reset %s, want %s", i, got, fmtSeconds(wantReset))
		}
	}
}

func TestTooMany(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)
	g := TooMany("GET /users/@me", 50, 0.2, true, "shared", now)
	if g.Get("X-RateLimit-Global") != "true" || g.Get("X-RateLimit-Scope") != "global" || g.Get("Retry-After") != "1" || g.Get("X-RateLimit-Limit") != "" {
		t.Errorf("global: %v", g)
	}
	u := TooMany("GET /users/@me", 0, 1.5, false, "", now)
	if u.Get("X-RateLimit-Scope") != "user" || u.Get("X-RateLimit-Limit") != "1" || u.Get("X-RateLimit-Remaining") != "0" ||
		u.Get("X-RateLimit-Reset-After") != "1.500" || u.Get("Retry-After") != "2" || u.Get("X-RateLimit-Global") != "" {
		t.Errorf("user: %v", u)
	}
	if s := TooMany("GET /users/@me", 5, 1, false, "shared", now); s.Get("X-RateLimit-Scope") != "shared" {
		t.Errorf("shared: %v", s)
	}
}

func TestDefault(t *testing.T) {
	t.Parallel()
	for route, want := range map[string]Limit{
		"POST /channels/{id}/messages":             {5, 5 * time.Second},
		"PATCH /channels/{id}/messages/{id}":       {5, 5 * time.Second},
		"POST /webhooks/{id}/{token}":              {5, 2 * time.Second},
		"GET /channels/{id}":                       {50, time.Second},
		"POST /interactions/{id}/{token}/callback": {50, time.Second},
	} {
		if got := Default(route); got != want {
			t.Errorf("Default(%q) = %+v, want %+v", route, got, want)
		}
	}
}

func TestBucketHash(t *testing.T) {
	t.Parallel()
	a, b := bucketHash("POST /channels/{id}/messages"), bucketHash("POST /webhooks/{id}/{token}")
	if a == "" || a == b || a != bucketHash("POST /channels/{id}/messages") {
		t.Errorf("hashes %q %q", a, b)
	}
}
