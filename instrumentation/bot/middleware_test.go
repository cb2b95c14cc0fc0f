package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"

	"github.com/nexusmon/nexusmon/internal/metrictest"
	"github.com/nexusmon/nexusmon/internal/names"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	testAppID     = "1200000000000000000"
	testGuild     = "1100000000000000000"
	testChannel   = "1100000000000000010"
	testUser      = "1000000000000000001"
	testToken     = "aW50ZXJhY3Rpb246MTMwMDAwMDAwMDAwMDAwMDAwMTpzZWNyZXRUb2tlblZhbHVl"
	testBotSecret = "MTAxMjM0NTY3ODkwMTIzNDU2Nzg5.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"
)

// clock is a settable clock for InstrumentOptions.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// harness is an Instruments on a real SDK with in-memory readers.
type harness struct {
	in     *Instruments
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	clock  *clock
}

func newHarness(t *testing.T, opts InstrumentOptions) *harness {
	t.Helper()
	h := &harness{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder(), clock: newClock()}
	if opts.Now == nil {
		opts.Now = h.clock.Now
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(h.spans))
	in, err := NewInstruments(mp, tp, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := in.Close(); err != nil {
			t.Error(err)
		}
	})
	h.in = in
	return h
}

func (h *harness) collect(t *testing.T) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := h.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	return rm
}

func findMetric(rm metricdata.ResourceMetrics, name string) (metricdata.Metrics, bool) {
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != names.ScopeBot {
			continue
		}
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m, true
			}
		}
	}
	return metricdata.Metrics{}, false
}

// counter returns the value of the int64 sum name at exactly kv.
func counter(rm metricdata.ResourceMetrics, name string, kv ...attribute.KeyValue) int64 {
	m, ok := findMetric(rm, name)
	if !ok {
		return 0
	}
	want := attribute.NewSet(kv...)
	if s, ok := m.Data.(metricdata.Sum[int64]); ok {
		for _, p := range s.DataPoints {
			if p.Attributes.Equals(&want) {
				return p.Value
			}
		}
	}
	return 0
}

// histogram returns the float64 histogram point of name at exactly kv.
func histogram(rm metricdata.ResourceMetrics, name string, kv ...attribute.KeyValue) (metricdata.HistogramDataPoint[float64], bool) {
	m, ok := findMetric(rm, name)
	if !ok {
		return metricdata.HistogramDataPoint[float64]{}, false
	}
	want := attribute.NewSet(kv...)
	if h, ok := m.Data.(metricdata.Histogram[float64]); ok {
		for _, p := range h.DataPoints {
			if p.Attributes.Equals(&want) {
				return p, true
			}
		}
	}
	return metricdata.HistogramDataPoint[float64]{}, false
}

func spanAttr(s sdktrace.ReadOnlySpan, key string) (string, bool) {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.String(), true
		}
	}
	return "", false
}

func nameModule(name, module string) []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String(names.AttrCommandName, name),
		attribute.String(names.AttrCommandModule, module),
	}
}

func with(kv []attribute.KeyValue, more ...attribute.KeyValue) []attribute.KeyValue {
	return append(append([]attribute.KeyValue(nil), kv...), more...)
}

// newInteraction builds a slash-command interaction as discordgo decodes it.
func newInteraction(id, name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.InteractionCreate {
	return &discordgo.InteractionCreate{Interaction: &discordgo.Interaction{
		ID:        id,
		AppID:     testAppID,
		Type:      discordgo.InteractionApplicationCommand,
		Token:     testToken,
		GuildID:   testGuild,
		ChannelID: testChannel,
		Member:    &discordgo.Member{User: &discordgo.User{ID: testUser}},
		Data:      discordgo.ApplicationCommandInteractionData{Name: name, Options: opts},
	}}
}

// fakeDiscord is a minimal local Discord REST API: it records requests and
// answers with reply (default: 204 for callbacks, a message for webhooks,
// the body back for command overwrites).
type fakeDiscord struct {
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []string // "METHOD /path"
	bodies []string
	reply  func(w http.ResponseWriter, r *http.Request) bool // true if handled
}

func newFakeDiscord(t *testing.T) *fakeDiscord {
	t.Helper()
	f := &fakeDiscord{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body) // a short read only loses the recorded body
		f.mu.Lock()
		f.reqs = append(f.reqs, r.Method+" "+r.URL.Path)
		f.bodies = append(f.bodies, string(body))
		reply := f.reply
		f.mu.Unlock()
		if reply != nil && reply(w, r) {
			return
		}
		switch {
		case strings.HasSuffix(r.URL.Path, "/callback"):
			w.WriteHeader(http.StatusNoContent)
		case strings.Contains(r.URL.Path, "/webhooks/"):
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"id":"1400000000000000000","channel_id":"`+testChannel+`","content":"followup"}`)
		case strings.HasSuffix(r.URL.Path, "/commands"):
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"code":0,"message":"404: Not Found"}`)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeDiscord) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.reqs...)
}

// rewrite sends every request to the fake instead of discord.com.
type rewrite struct{ target string }

func (rw rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme = "http"
	r.URL.Host = strings.TrimPrefix(rw.target, "http://")
	r.Host = ""
	return http.DefaultTransport.RoundTrip(r)
}

// session returns a discordgo Session talking to f; with in, through
// NewTransport.
func (f *fakeDiscord) session(t *testing.T, in *Instruments) *discordgo.Session {
	t.Helper()
	s, err := discordgo.New("Bot " + testBotSecret)
	if err != nil {
		t.Fatal(err)
	}
	var rt http.RoundTripper = rewrite{f.srv.URL}
	if in != nil {
		rt = NewTransport(rt, in)
	}
	s.Client = &http.Client{Transport: rt, Timeout: 10 * time.Second}
	s.ShouldRetryOnRateLimit = false
	s.MaxRestRetries = 0
	return s
}

func TestWrap_Success(t *testing.T) {
	t.Parallel()
	for _, recordUsers := range []bool{false, true} {
		t.Run(fmt.Sprintf("RecordUserIDs=%v", recordUsers), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, InstrumentOptions{RecordUserIDs: recordUsers})
			var gotCtx *Context
			handler := h.in.Wrap("utility", "ping", func(c *Context) error {
				gotCtx = c
				h.clock.Advance(120 * time.Millisecond)
				return nil
			})
			handler(nil, newInteraction("1300000000000000001", "ping"))

			if gotCtx == nil || gotCtx.Command != "ping" || gotCtx.Module != "utility" {
				t.Fatalf("handler context = %+v", gotCtx)
			}
			spans := h.spans.Ended()
			if len(spans) != 1 {
				t.Fatalf("got %d spans, want 1", len(spans))
			}
			sp := spans[0]
			if sp.Name() != "command ping" || sp.SpanKind() != trace.SpanKindServer || sp.Status().Code != codes.Unset {
				t.Errorf("span %q kind %v status %v", sp.Name(), sp.SpanKind(), sp.Status())
			}
			if trace.SpanContextFromContext(gotCtx).SpanID() != sp.SpanContext().SpanID() {
				t.Error("the handler's context does not carry the command span")
			}
			wantAttrs := map[string]string{
				names.AttrCommandName:   "ping",
				names.AttrCommandModule: "utility",
				names.AttrGuildID:       testGuild,
				names.AttrChannelID:     testChannel,
				names.AttrInteractionID: "1300000000000000001",
			}
			for k, v := range wantAttrs {
				if got, ok := spanAttr(sp, k); !ok || got != v {
					t.Errorf("span attribute %s = %q (%v), want %q", k, got, ok, v)
				}
			}
			if got, ok := spanAttr(sp, names.AttrUserID); ok != recordUsers || (ok && got != testUser) {
				t.Errorf("span user id = %q (%v) with RecordUserIDs=%v", got, ok, recordUsers)
			}
			if _, ok := spanAttr(sp, names.AttrErrorType); ok {
				t.Error("error.type on a successful span")
			}

			rm := h.collect(t)
			nm := nameModule("ping", "utility")
			p, ok := histogram(rm, names.CommandDuration, nm...)
			if !ok || p.Count != 1 || p.Sum != 0.12 {
				t.Fatalf("%s{ping,utility} = %+v (%v), want one 0.12 s", names.CommandDuration, p, ok)
			}
			if len(p.Bounds) != len(durationBuckets) || p.Bounds[0] != 0.005 || p.Bounds[len(p.Bounds)-1] != 10 {
				t.Errorf("bounds = %v", p.Bounds)
			}
			if len(p.Exemplars) != 1 || !bytes.Equal(p.Exemplars[0].TraceID, traceID(sp)) {
				t.Errorf("exemplars = %+v, want one with trace id %s", p.Exemplars, sp.SpanContext().TraceID())
			}
			if got := counter(rm, names.CommandInvocations, with(nm, attribute.String(names.AttrOutcome, OutcomeSuccess))...); got != 1 {
				t.Errorf("%s success = %d, want 1", names.CommandInvocations, got)
			}
			if got := counter(rm, names.CommandGuildInvocations, attribute.String(names.AttrGuildID, testGuild)); got != 1 {
				t.Errorf("%s = %d, want 1", names.CommandGuildInvocations, got)
			}
			if got := counter(rm, names.CommandChanInvocations, attribute.String(names.AttrChannelID, testChannel)); got != 1 {
				t.Errorf("%s = %d, want 1", names.CommandChanInvocations, got)
			}
			if dump := metrictest.AttrValues(rm); strings.Contains(dump, testUser) || strings.Contains(dump, "1300000000000000001") {
				t.Errorf("user or interaction id on a metric: %s", dump)
			}
		})
	}
}

func traceID(s sdktrace.ReadOnlySpan) []byte {
	id := s.SpanContext().TraceID()
	return id[:]
}

func TestWrap_Failure(t *testing.T) {
	t.Parallel()
	restErr := &discordgo.RESTError{
		Response:     &http.Response{StatusCode: 403, Status: "403 Forbidden"},
		Message:      &discordgo.APIErrorMessage{Code: 50013, Message: "Missing Permissions"},
		ResponseBody: []byte(`{"code":50013,"message":"Missing Permissions"}`),
	}
	tests := map[string]struct {
		err       error
		wantType  string
		forbidden []string // must not appear in the message
	}{
		"discord error": {
			err:      fmt.Errorf("send reply: %w", restErr),
			wantType: "discord.50013",
		},
		"deadline": {
			err:      fmt.Errorf("query db: %w", context.DeadlineExceeded),
			wantType: ErrorTypeTimeout,
		},
		"plain error with mentions, a token and control characters": {
			err: errors.New("@everyone <@123> failed\x00\x1b[31m with token " + testBotSecret +
				" at https://discord.com/api/v9/webhooks/1234567890/" + testToken + "\n" + strings.Repeat("é", 900)),
			wantType:  "*errors.errorString",
			forbidden: []string{testBotSecret, testToken, "\x00", "\x1b", "\n"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			events := make(chan ErrorEvent, 1)
			h := newHarness(t, InstrumentOptions{OnError: func(ev ErrorEvent) { events <- ev }})
			h.in.Wrap("admin", "purge", func(*Context) error {
				h.clock.Advance(2 * time.Second)
				return tc.err
			})(nil, newInteraction("1300000000000000002", "purge"))

			sp := h.spans.Ended()[0]
			if sp.Status().Code != codes.Error {
				t.Errorf("span status %v, want Error", sp.Status())
			}
			if got, _ := spanAttr(sp, names.AttrErrorType); got != tc.wantType {
				t.Errorf("span error.type = %q, want %q", got, tc.wantType)
			}
			var exc bool
			for _, e := range sp.Events() {
				if e.Name == "exception" {
					exc = true
					for _, kv := range e.Attributes {
						for _, f := range tc.forbidden {
							if strings.Contains(kv.Value.String(), f) {
								t.Errorf("exception attribute %s holds %q", kv.Key, f)
							}
						}
					}
				}
			}
			if !exc {
				t.Error("no exception event")
			}

			rm := h.collect(t)
			nm := nameModule("purge", "admin")
			if p, ok := histogram(rm, names.CommandDuration, with(nm, attribute.String(names.AttrErrorType, tc.wantType))...); !ok || p.Count != 1 || p.Sum != 2 {
				t.Errorf("%s with error.type = %+v (%v)", names.CommandDuration, p, ok)
			}
			if got := counter(rm, names.CommandInvocations, with(nm, attribute.String(names.AttrOutcome, OutcomeFailure))...); got != 1 {
				t.Errorf("%s failure = %d, want 1", names.CommandInvocations, got)
			}

			ev := <-events
			want := ErrorEvent{Command: "purge", Module: "admin", ErrorType: tc.wantType, GuildID: testGuild,
				ChannelID: testChannel, InteractionID: "1300000000000000002", Duration: 2 * time.Second, At: h.clock.Now()}
			got := ev
			got.Message, got.Goroutines, got.HeapAlloc = "", 0, 0
			if got != want {
				t.Errorf("ErrorEvent = %+v, want %+v", got, want)
			}
			if ev.Goroutines < 1 || ev.HeapAlloc == 0 {
				t.Errorf("runtime context goroutines=%d heap=%d", ev.Goroutines, ev.HeapAlloc)
			}
			if n := utf8.RuneCountInString(ev.Message); n == 0 || n > MaxMessageRunes {
				t.Errorf("message has %d runes", n)
			}
			if ev.Message != sp.Status().Description {
				t.Errorf("event message %q differs from span status %q", ev.Message, sp.Status().Description)
			}
			for _, f := range tc.forbidden {
				if strings.Contains(ev.Message, f) {
					t.Errorf("message holds %q: %q", f, ev.Message)
				}
			}
			if strings.IndexFunc(ev.Message, unicode.IsControl) >= 0 {
				t.Errorf("control character in %q", ev.Message)
			}
		})
	}
}

func TestWrap_Panic(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var logMu sync.Mutex
	events := make(chan ErrorEvent, 1)
	h := newHarness(t, InstrumentOptions{
		OnError: func(ev ErrorEvent) { events <- ev },
		Logger:  slog.New(slog.NewJSONHandler(&lockedWriter{w: &logs, mu: &logMu}, nil)),
	})
	h.in.Wrap("fun", "boom", func(*Context) error {
		var m map[string]int
		//lint:ignore SA5000 the handler panics on purpose
		m["x"] = 1 // panics: assignment to entry in nil map
		return nil
	})(nil, newInteraction("1300000000000000003", "boom"))

	ev := <-events
	if !ev.Panic || ev.ErrorType != ErrorTypePanic || !strings.Contains(ev.Message, "nil map") {
		t.Errorf("ErrorEvent = %+v, want a panic", ev)
	}
	rm := h.collect(t)
	nm := nameModule("boom", "fun")
	if got := counter(rm, names.CommandInvocations, with(nm, attribute.String(names.AttrOutcome, OutcomeFailure))...); got != 1 {
		t.Errorf("failures = %d, want 1", got)
	}
	if _, ok := histogram(rm, names.CommandDuration, with(nm, attribute.String(names.AttrErrorType, ErrorTypePanic))...); !ok {
		t.Error("no duration with error.type=panic")
	}
	logMu.Lock()
	out := logs.String()
	logMu.Unlock()
	var rec struct {
		Msg   string `json:"msg"`
		Stack string `json:"stack"`
	}
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &rec); err != nil {
		t.Fatalf("log %q: %v", out, err)
	}
	if rec.Msg != "command handler panicked" || !strings.Contains(rec.Stack, "goroutine") || !strings.Contains(rec.Stack, "TestWrap_Panic") {
		t.Errorf("panic log = %+v", rec)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestContext_FirstResponse(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		delay    time.Duration
		respond  func(c *Context) error
		viaTrans bool // the session's client has NewTransport
		wantLate int64
	}{
		"respond in time": {
			delay: 500 * time.Millisecond,
			respond: func(c *Context) error {
				return c.Respond(&discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: &discordgo.InteractionResponseData{Content: "pong"}})
			},
		},
		"defer late": {
			delay:    4 * time.Second,
			respond:  func(c *Context) error { return c.Defer(true) },
			wantLate: 1,
		},
		"raw session call seen by the transport": {
			delay:    3500 * time.Millisecond,
			viaTrans: true,
			respond: func(c *Context) error {
				return c.Session.InteractionRespond(c.Interaction.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
			},
			wantLate: 1,
		},
		"Respond through the transport counts once": {
			delay:    time.Second,
			viaTrans: true,
			respond:  func(c *Context) error { return c.Defer(false) },
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, InstrumentOptions{})
			f := newFakeDiscord(t)
			var s *discordgo.Session
			if tc.viaTrans {
				s = f.session(t, h.in)
			} else {
				s = f.session(t, nil)
			}
			h.in.Wrap("utility", "ping", func(c *Context) error {
				h.clock.Advance(tc.delay)
				if err := tc.respond(c); err != nil {
					return err
				}
				h.clock.Advance(time.Second) // work after the response does not count
				return nil
			})(s, newInteraction("1300000000000000004", "ping"))

			if got := f.requests(); len(got) != 1 || got[0] != "POST /api/v9/interactions/1300000000000000004/"+testToken+"/callback" {
				t.Fatalf("requests = %v", got)
			}
			rm := h.collect(t)
			nm := nameModule("ping", "utility")
			p, ok := histogram(rm, names.CommandFirstResponse, nm...)
			if !ok || p.Count != 1 || p.Sum != tc.delay.Seconds() {
				t.Errorf("%s = %+v (%v), want one %v", names.CommandFirstResponse, p, ok, tc.delay)
			}
			sp := h.spans.Ended()[0]
			if len(p.Exemplars) != 1 || !bytes.Equal(p.Exemplars[0].TraceID, traceID(sp)) {
				t.Errorf("first-response exemplar %+v not linked to the span", p.Exemplars)
			}
			if got := counter(rm, names.CommandLateResponses, nm...); got != tc.wantLate {
				t.Errorf("%s = %d, want %d", names.CommandLateResponses, got, tc.wantLate)
			}
			// The span carries the first response as an event, as
			// docs/conventions.md says every language's does.
			var events []string
			for _, ev := range sp.Events() {
				if ev.Name == names.EventFirstResponse {
					events = append(events, ev.Time.Sub(sp.StartTime()).String())
				}
			}
			if len(events) != 1 || events[0] != tc.delay.String() {
				t.Errorf("first-response events at %v after the start, want one at %v", events, tc.delay)
			}
			if n := h.in.tracker.size(); n != 0 {
				t.Errorf("tracker holds %d entries after the response", n)
			}
		})
	}
}

func TestContext_Followup(t *testing.T) {
	t.Parallel()
	h := newHarness(t, InstrumentOptions{})
	f := newFakeDiscord(t)
	s := f.session(t, h.in)
	var msg *discordgo.Message
	h.in.Wrap("utility", "slow", func(c *Context) error {
		if err := c.Defer(false); err != nil {
			return err
		}
		var err error
		msg, err = c.Followup(&discordgo.WebhookParams{Content: "done"})
		return err
	})(s, newInteraction("1300000000000000005", "slow"))
	if msg == nil || msg.Content != "followup" {
		t.Fatalf("Followup returned %+v", msg)
	}
	got := f.requests()
	want := []string{
		"POST /api/v9/interactions/1300000000000000005/" + testToken + "/callback",
		"POST /api/v9/webhooks/" + testAppID + "/" + testToken,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests = %v, want %v", got, want)
	}
	rm := h.collect(t)
	if p, ok := histogram(rm, names.DiscordRESTDuration,
		attribute.String(names.AttrRoute, "POST /webhooks/{id}/{token}"), attribute.Int(names.AttrStatusCode, 200)); !ok || p.Count != 1 {
		t.Errorf("followup REST duration = %+v (%v)", p, ok)
	}
	if strings.Contains(metrictest.AttrValues(rm), testToken) {
		t.Error("interaction token in a metric attribute")
	}
}

func TestContext_ErrorsAreSanitised(t *testing.T) {
	t.Parallel()
	h := newHarness(t, InstrumentOptions{})
	f := newFakeDiscord(t)
	f.reply = func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"code":10062,"message":"Unknown interaction"}`)
		return true
	}
	s := f.session(t, h.in)
	var respondErr error
	h.in.Wrap("utility", "ping", func(c *Context) error {
		respondErr = c.Defer(false)
		return respondErr
	})(s, newInteraction("1300000000000000006", "ping"))
	var rest *discordgo.RESTError
	if !errors.As(respondErr, &rest) || ErrorType(respondErr) != "discord.10062" {
		t.Fatalf("Defer error %v (type %q), want a RESTError 10062", respondErr, ErrorType(respondErr))
	}
	if strings.Contains(respondErr.Error(), testToken) {
		t.Errorf("token in error text: %v", respondErr)
	}
	// Discord answered (too late), so the attempt is the first response.
	rm := h.collect(t)
	if _, ok := histogram(rm, names.CommandFirstResponse, nameModule("ping", "utility")...); !ok {
		t.Error("a refused callback was not recorded as the first response")
	}
}

func TestContext_NoInteraction(t *testing.T) {
	t.Parallel()
	c := &Context{Context: context.Background()}
	if err := c.Defer(false); !errors.Is(err, ErrNoInteraction) {
		t.Errorf("Defer() = %v", err)
	}
	if _, err := c.Followup(&discordgo.WebhookParams{}); !errors.Is(err, ErrNoInteraction) {
		t.Errorf("Followup() = %v", err)
	}
}

func TestInstruments_CloseDeliversQueuedEvents(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []string
	release := make(chan struct{})
	in, err := NewInstruments(nil, nil, InstrumentOptions{OnError: func(ev ErrorEvent) {
		<-release
		mu.Lock()
		got = append(got, ev.InteractionID)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	h := in.Wrap("m", "fail", func(*Context) error { return errors.New("no") })
	for i := range 3 {
		h(nil, newInteraction(fmt.Sprint(1300000000000000010+i), "fail"))
	}
	close(release)
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	if err := in.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	h(nil, newInteraction("1300000000000000099", "fail")) // after Close: measured, event dropped
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 {
		t.Errorf("delivered %v, want the 3 events queued before Close", got)
	}
}

// TestIDCache_boundedWithOther: the per-guild and per-channel counters keep
// their own series for the first MaxIDSeries ids; later ids are counted
// under "other", so the series are bounded whatever the bot's reach.
func TestIDCache_boundedWithOther(t *testing.T) {
	c := &idCache{key: names.AttrGuildID}
	val := func(id string) string {
		set := metric.NewAddConfig(c.opts(id)).Attributes()
		v, _ := set.Value(attribute.Key(names.AttrGuildID))
		return v.AsString()
	}
	for i := range MaxIDSeries {
		id := strconv.Itoa(1000 + i)
		if got := val(id); got != id {
			t.Fatalf("id %d of %d recorded as %q", i+1, MaxIDSeries, got)
		}
	}
	if got := val("99999"); got != OtherID {
		t.Errorf("id past the bound recorded as %q, want %q", got, OtherID)
	}
	if got := val("1000"); got != "1000" {
		t.Errorf("an id within the bound recorded as %q after the bound was reached", got)
	}
}
