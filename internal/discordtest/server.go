package discordtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/internal/discordtest/internal/gateway"
	"github.com/nexusmon/nexusmon/internal/discordtest/internal/ratelimit"
)

// Server is a running fake Discord. All methods are safe for concurrent use.
type Server struct {
	// URL is the base of the fake, "http://127.0.0.1:PORT". REST lives under
	// URL+"/api/v10" (any /api/vN or /api works), the gateway at
	// "ws://127.0.0.1:PORT/ws".
	URL string
	// AppID is the application id (application_id in interactions).
	AppID string
	// BotID is the bot user's id.
	BotID string

	opts    Options
	hs      *httptest.Server
	tr      *http.Transport // behind Transport()
	target  *url.URL
	wsURL   string
	done    chan struct{}
	gw      *gateway.Gateway  // /ws
	windows ratelimit.Windows // safe for concurrent use on its own

	mu           sync.Mutex
	requests     []Request
	scripts      map[string][]Reply
	outage       int
	invalid      []time.Time
	rateLimited  int
	lastFlake    uint64
	channels     map[string]*channelState // by channel id
	channelOrder []string
	webhooks     map[string]*webhook // by id
	interactions map[string]*interaction
	commands     map[string][]map[string]any // by guild id, "" = global; in creation order
}

// Request is one recorded REST request with the status it was answered with.
type Request struct {
	Method string
	// Path is the URL path as received, including its /api/vN prefix.
	Path string
	// Route is the route key, e.g. "POST /channels/{id}/messages"; empty for
	// unknown paths.
	Route string
	Query string
	// Header is a copy of the request headers, Authorization included: do
	// not log it.
	Header http.Header
	Body   []byte
	// PayloadJSON is the JSON document of the request: the body for JSON
	// requests, the payload_json part for multipart ones.
	PayloadJSON []byte
	Files       []File
	// Status is the HTTP status served; 0 when the connection was reset.
	Status int
	// At is when the request arrived, by the server's clock.
	At time.Time
}

// File is one uploaded file part.
type File struct {
	Name, ContentType string
	Data              []byte
}

// Reply is a scripted answer (see Server.Script). The zero Reply lets the
// request through to normal handling, so Script(route, Reply{Status: 500},
// Reply{}) fails once and then behaves normally.
type Reply struct {
	// Status to answer. 0 means normal handling (after Delay).
	Status int
	// RetryAfter in seconds, for 429. Values ≤ 0 become 1 s: Discord never
	// sends a zero retry_after.
	RetryAfter float64
	// Global marks a 429 as global: X-RateLimit-Global: true, scope global,
	// no X-RateLimit-Limit/Remaining/Reset/Reset-After headers.
	Global bool
	// Scope of a non-global 429: "user" (default) or "shared". Shared 429s do
	// not count as invalid requests.
	Scope string
	// Body to send; when empty a Discord-shaped JSON error is generated.
	// A body that is not JSON is served as text/html (a Cloudflare page).
	// Ignored when Status is 0.
	Body string
	// Reset closes the TCP connection without answering.
	Reset bool
	// Delay before answering (or before normal handling).
	Delay time.Duration
}

// call is one request in flight.
type call struct {
	r       *http.Request
	path    string // without prefix
	params  []string
	query   string
	rec     *Request
	payload map[string]any // decoded PayloadJSON (object bodies)
	raw     json.RawMessage
}

// response is what a handler wants to send.
type response struct {
	status int
	header http.Header
	body   []byte
	reset  bool
}

// New starts a fake Discord on 127.0.0.1. t.Cleanup closes it, including every
// gateway connection.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	o := defaultOptions()
	o.Limits = map[string]RouteLimit{}
	for _, opt := range opts {
		opt(&o)
	}
	o.fillDefaults()
	s := &Server{
		AppID:        DefaultAppID,
		BotID:        DefaultBotID,
		opts:         o,
		done:         make(chan struct{}),
		scripts:      map[string][]Reply{},
		channels:     map[string]*channelState{},
		webhooks:     map[string]*webhook{},
		interactions: map[string]*interaction{},
		commands:     map[string][]map[string]any{},
	}
	for _, g := range o.Guilds {
		for _, c := range g.Channels {
			s.addChannel(c.ID, g.ID)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	// The fields handlers read are set before serving starts: a client in
	// another process connects with no Go happens-before edge to New.
	s.URL = "http://" + ln.Addr().String()
	s.target = &url.URL{Scheme: "http", Host: ln.Addr().String()}
	s.wsURL = "ws" + strings.TrimPrefix(s.URL, "http") + "/ws"
	s.gw = s.newGateway()
	s.hs = &httptest.Server{Listener: ln, Config: &http.Server{Handler: s}}
	s.hs.Start()
	s.tr = newTransport()
	t.Cleanup(s.close)
	return s
}

func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}
}

func (s *Server) close() {
	select {
	case <-s.done:
		return
	default:
	}
	close(s.done)
	s.gw.Close()
	s.tr.CloseIdleConnections()
	s.hs.Close()
}

// Token returns the valid bot token, without "Bot ".
func (s *Server) Token() string { return s.opts.BotToken }

func (s *Server) now() time.Time { return s.opts.Now() }

// ServeHTTP implements http.Handler: /ws is the gateway, /api... is REST.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/ws" || r.URL.Path == "/ws/" {
		s.gw.ServeHTTP(w, r)
		return
	}
	s.serveREST(w, r)
}

func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	rec := &Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.RawQuery,
		Header: r.Header.Clone(),
		At:     s.now(),
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodySize))
	if err != nil {
		rec.Status = 0
		s.record(rec)
		hijackClose(w)
		return
	}
	rec.Body = body
	c := &call{r: r, rec: rec, query: r.URL.RawQuery}

	var rt *route
	path, ok := stripPrefix(r.URL.Path)
	if ok {
		c.path = path
		var known bool
		rt, c.params, known = match(r.Method, path)
		if rt == nil {
			if known {
				s.finish(w, c, jsonError(http.StatusMethodNotAllowed, 0, "405: Method Not Allowed"))
			} else {
				s.finish(w, c, jsonError(http.StatusNotFound, 0, "404: Not Found"))
			}
			return
		}
		rec.Route = rt.key()
	} else {
		s.finish(w, c, jsonError(http.StatusNotFound, 0, "404: Not Found"))
		return
	}
	parseErr := c.parseBody()

	// Outage and scripts come before anything else: they model Discord (or
	// its edge) failing regardless of the request.
	s.mu.Lock()
	outage := s.outage
	var rep *Reply
	if q := s.scripts[rec.Route]; len(q) > 0 {
		rep = &q[0]
		s.scripts[rec.Route] = q[1:]
	}
	s.mu.Unlock()
	if outage != 0 {
		s.finish(w, c, s.replyResponse(Reply{Status: outage, Reset: outage < 0}, rt, c))
		return
	}
	if rep != nil {
		if rep.Delay > 0 && !s.sleep(r, rep.Delay) {
			s.finish(w, c, response{reset: true})
			return
		}
		if rep.Status != 0 || rep.Reset {
			s.finish(w, c, s.replyResponse(*rep, rt, c))
			return
		}
	}

	if rt.bot && r.Header.Get("Authorization") != "Bot "+s.opts.BotToken {
		s.finish(w, c, jsonError(http.StatusUnauthorized, 0, "401: Unauthorized"))
		return
	}
	hdr, limited := s.takeBucket(rt, c)
	if limited != nil {
		s.finish(w, c, *limited)
		return
	}
	var resp response
	if parseErr != nil {
		resp = *parseErr
	} else {
		resp = rt.h(s, c)
	}
	if resp.header == nil {
		resp.header = http.Header{}
	}
	for k, v := range hdr {
		resp.header[k] = v
	}
	s.finish(w, c, resp)
}

// takeBucket charges one request to its rate-limit window. It returns the
// rate-limit headers to add to a normal answer, or a complete 429 when the
// window is spent.
func (s *Server) takeBucket(rt *route, c *call) (http.Header, *response) {
	key := rt.key()
	l := s.opts.limitFor(key)
	if l.Limit <= 0 || l.Window <= 0 {
		return nil, nil
	}
	h, body := s.windows.Take(key, rt.majorOf(c.path), ratelimit.Limit(l), s.now())
	if body == nil {
		return h, nil
	}
	return nil, &response{status: http.StatusTooManyRequests, header: h, body: body}
}

// sleep waits d unless the request or the server ends first.
func (s *Server) sleep(r *http.Request, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		return false
	}
}

// finish records the request, then answers it, so a client that got its
// answer always finds the request in Requests.
func (s *Server) finish(w http.ResponseWriter, c *call, resp response) {
	if resp.reset {
		c.rec.Status = 0
	} else {
		c.rec.Status = resp.status
	}
	s.record(c.rec)
	if resp.status == http.StatusTooManyRequests || resp.status == http.StatusUnauthorized || resp.status == http.StatusForbidden {
		s.countInvalid(resp)
	}
	if resp.reset {
		hijackClose(w)
		return
	}
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	if len(resp.body) > 0 && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(resp.status)
	if len(resp.body) > 0 {
		// A write error means the client went away; nothing to answer.
		_, _ = w.Write(resp.body)
	}
}

func (s *Server) record(rec *Request) {
	s.mu.Lock()
	s.requests = append(s.requests, *rec)
	s.mu.Unlock()
}

func (s *Server) countInvalid(resp response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if resp.status == http.StatusTooManyRequests {
		s.rateLimited++
		if resp.header.Get("X-RateLimit-Scope") == "shared" {
			return
		}
	}
	s.invalid = append(s.invalid, s.now())
}

// hijackClose drops the connection without answering.
func hijackClose(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		// net/http's HTTP/1 server always can; anything else gets a bare 502.
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		// Linger 0 turns the close into a RST, like a dropped edge.
		_ = tc.SetLinger(0) // best effort: a plain FIN is also a reset for the client
	}
	_ = conn.Close() // best effort: the client sees the connection end either way
}

// replyResponse builds the answer for a scripted reply or an outage.
func (s *Server) replyResponse(rep Reply, rt *route, c *call) response {
	if rep.Reset {
		return response{reset: true}
	}
	if rep.Status == http.StatusTooManyRequests {
		ra := rep.RetryAfter
		if ra <= 0 {
			ra = 1
		}
		l := s.opts.limitFor(rt.key())
		h := ratelimit.TooMany(rt.key(), l.Limit, ra, rep.Global, rep.Scope, s.now())
		body := []byte(rep.Body)
		if len(body) == 0 {
			body = ratelimit.Body(ra, rep.Global)
		}
		return response{status: rep.Status, header: h, body: body}
	}
	h := http.Header{}
	body := []byte(rep.Body)
	if len(body) == 0 && rep.Status != http.StatusNoContent {
		body = mustJSON(map[string]any{"message": fmt.Sprintf("%d: %s", rep.Status, http.StatusText(rep.Status)), "code": 0})
	}
	if len(body) > 0 && !json.Valid(body) {
		h.Set("Content-Type", "text/html; charset=utf-8")
	}
	return response{status: rep.Status, header: h, body: body}
}

// Requests returns every REST request recorded so far, in the order they were
// answered.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// WaitFor polls the recorded requests until match accepts one and returns the
// first such request. It calls t.Fatalf when timeout passes first, so call it
// from the test goroutine.
func (s *Server) WaitFor(t testing.TB, timeout time.Duration, match func(Request) bool) Request {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, r := range s.Requests() {
			if match(r) {
				return r
			}
		}
		if time.Now().After(deadline) {
			var seen []string
			for _, r := range s.Requests() {
				seen = append(seen, fmt.Sprintf("%s=%d", r.Route, r.Status))
			}
			t.Fatalf("discordtest: no matching request within %v; seen: %s", timeout, strings.Join(seen, ", "))
			return Request{}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Script queues replies for a route key (see the package documentation): the
// next len(replies) requests to that route get them, in order.
func (s *Server) Script(route string, replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[route] = append(s.scripts[route], replies...)
}

// SetOutage makes every REST request answer status until SetOutage(0); with
// -1 every request has its connection reset instead. The gateway is not
// affected.
func (s *Server) SetOutage(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outage = status
}

// InvalidRequests returns the 401, 403 and 429 answers (except shared-scope
// 429s) of the last 10 minutes, the count behind Discord's Cloudflare ban.
func (s *Server) InvalidRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	cut := s.now().Add(-10 * time.Minute)
	n := 0
	for _, at := range s.invalid {
		if at.After(cut) {
			n++
		}
	}
	return n
}

// RateLimited returns the number of 429 answers served.
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rateLimited
}

func jsonError(status, code int, msg string) response {
	return response{status: status, body: mustJSON(map[string]any{"code": code, "message": msg})}
}

func jsonOK(status int, v any) response {
	return response{status: status, body: mustJSON(v)}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Every value marshalled here is built by the fake from JSON-safe types.
		panic(fmt.Sprintf("discordtest: marshal: %v", err))
	}
	return b
}
