package agent

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/agent/internal/httpapi"
	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/deliver/discord"
	"github.com/nexusmon/nexusmon/internal/discordtest"
	"github.com/nexusmon/nexusmon/internal/store"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// Resilience and security of the whole agent against the fake Discord:
// secrets never leak, the outbox survives a restart, Discord can be down at
// start, a fatal gateway close is not retried forever, and a full disk for
// the events file does not stop reporting. Waits are bounded; nothing
// asserts wall-clock durations.

// rzReportKinds are the periodic reports (priority PriorityReport).
var rzReportKinds = map[reportdata.Kind]bool{
	reportdata.EventSystem: true, reportdata.EventNetwork: true, reportdata.EventMemory: true,
	reportdata.EventCommands: true, reportdata.EventHealth: true,
}

// rzFake starts the fake with message limits raised (as fakeDiscord does)
// plus opts.
func rzFake(t *testing.T, opts ...discordtest.Option) *discordtest.Server {
	t.Helper()
	fast := discordtest.RouteLimit{Limit: 50, Window: time.Second}
	return discordtest.New(t, append([]discordtest.Option{
		discordtest.WithLimit("POST /channels/{id}/messages", fast),
		discordtest.WithLimit("PATCH /channels/{id}/messages/{id}", fast),
		discordtest.WithLimit("POST /webhooks/{id}/{token}", fast),
	}, opts...)...)
}

// rzLogger returns a debug-level text logger writing to a buffer.
func rzLogger() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// rzAllPost puts every periodic report in post mode, so every report is one
// queued message that must arrive (edits may be superseded, posts never).
func rzAllPost(t *testing.T, cfg *config.Config) {
	t.Helper()
	for _, r := range []*config.Report{&cfg.Reports.System, &cfg.Reports.Network, &cfg.Reports.Memory, &cfg.Reports.Commands, &cfg.Reports.Health} {
		r.Mode = config.ModePost
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

// rzBotToken returns a token shaped like Discord's: base64url(bot id), a
// 6-character timestamp part and a 38-character HMAC part (72 characters),
// derived from seed so that two seeds give two different tokens.
func rzBotToken(seed string) string {
	h := sha256.Sum256([]byte("bot token " + seed))
	h2 := sha256.Sum256(h[:])
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(discordtest.DefaultBotID)) + "." +
		enc.EncodeToString(h[:6])[:6] + "." + enc.EncodeToString(append(h[6:], h2[:]...))[:38]
}

// rzWebhookToken returns a 68-character webhook token derived from seed.
func rzWebhookToken(seed string) string {
	h := sha256.Sum256([]byte("webhook token " + seed))
	h2 := sha256.Sum256(h[:])
	return base64.RawURLEncoding.EncodeToString(append(h[:], h2[:]...))[:68]
}

// rzSecretCheck fails the test when text holds any of the secrets, or any
// 16-byte run of the fragments (the secret parts of a token: a truncated
// leak is still a leak). It never prints a secret.
type rzSecretCheck struct {
	secrets   []string // exact forms
	fragments []string // windows of these count too
}

func (c rzSecretCheck) check(t *testing.T, where, text string) {
	t.Helper()
	for i, s := range c.secrets {
		if j := strings.Index(text, s); j >= 0 {
			t.Errorf("%s contains secret #%d at byte %d: …%s", where, i, j, rzAround(text, j))
		}
	}
	const window = 16
	for i, f := range c.fragments {
		for k := 0; k+window <= len(f); k++ {
			if j := strings.Index(text, f[k:k+window]); j >= 0 {
				t.Errorf("%s contains 16 bytes of secret fragment #%d at byte %d: …%s", where, i, j, rzAround(text, j))
				break
			}
		}
	}
}

// rzAround shows what precedes a hit; the hit and what follows it (which
// may hold the rest of the secret) are not shown.
func rzAround(text string, at int) string {
	return text[max(at-80, 0):at] + "[SECRET…]"
}

// rzStoreTexts reopens the (stopped) agent's store and returns every text
// it keeps about failed and pending messages, plus the raw bytes of the
// database files, keyed by where they came from.
func rzStoreTexts(t *testing.T, path, dest string) map[string]string {
	t.Helper()
	out := map[string]string{}
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopen store: %v", err)
	}
	failed, err := st.Failed(context.Background(), dest, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range failed {
		out[fmt.Sprintf("failed outbox row %d", f.ID)] = f.Reason + "\n" + f.LastError + "\n" + f.Kind + "\n" + string(f.Body)
	}
	pending, err := st.Pending(context.Background(), dest, 100000)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range pending {
		out[fmt.Sprintf("pending outbox row %d", m.ID)] = m.LastError + "\n" + m.Kind + "\n" + string(m.Body)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(path + "*") // the database and any -wal file
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out["file "+filepath.Base(f)] = string(b)
	}
	if len(failed) == 0 {
		t.Errorf("no failed %s message in the store: the rejected deliveries were not recorded", dest)
	}
	return out
}

// rzTime parses an envelope timestamp.
func rzTime(t *testing.T, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("timestamp %q: %v", s, err)
	}
	return ts
}

func rzFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rzRequested reports whether the fake answered route with status (0: a
// reset connection) at least once since request number from.
func rzRequested(srv *discordtest.Server, from int, route string, status int) bool {
	reqs := srv.Requests()
	for _, r := range reqs[min(from, len(reqs)):] {
		if r.Route == route && r.Status == status {
			return true
		}
	}
	return false
}

// rzNotice returns the INFO notices (performance_alert with state info)
// whose message contains part.
func rzNotice(evs []map[string]any, part string) []map[string]any {
	var out []map[string]any
	for _, e := range eventsOf(evs, reportdata.EventAlert) {
		d, _ := e["data"].(map[string]any)
		if msg, _ := d["message"].(string); d["state"] == "info" && strings.Contains(msg, part) {
			out = append(out, e)
		}
	}
	return out
}

func TestAgent_secretsNeverLeak(t *testing.T) {
	t.Parallel()
	t.Run("bot", func(t *testing.T) {
		t.Parallel()
		good, wrong := rzBotToken("accepted"), rzBotToken("configured")
		srv := rzFake(t, discordtest.WithToken(good))
		cfg := testConfig(t)
		cfg.Discord.Token = config.Secret(wrong) // same shape, refused: REST 401, gateway 4004
		cfg.Discord.ChannelID = discordtest.DefaultChannelID
		cfg.Discord.GuildID = discordtest.DefaultGuildID
		cfg.Discord.APIURL = srv.URL
		cfg.Output.Console = config.ConsoleOn
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		logger, logs := rzLogger()
		a, console := startAgent(t, cfg, WithLogger(logger))

		waitFor(t, 30*time.Second, "a post refused with 401", func() bool {
			return rzRequested(srv, 0, "POST /channels/{id}/messages", 401)
		})
		waitFor(t, 30*time.Second, "a message given up", func() bool { return a.delivery.Stats().Failed >= 1 })
		waitEvents(t, cfg.Output.JSONL, 30*time.Second, func(e []map[string]any) bool {
			return len(rzNotice(e, "4004")) == 1 && len(eventsOf(e, reportdata.EventSystem)) >= 1
		})
		metrics := httpGet(t, "http://"+a.HTTPAddr()+"/metrics")
		healthz := httpGet(t, "http://"+a.HTTPAddr()+"/healthz")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stopErr := fmt.Sprint(a.Stop(ctx))

		// The captures must hold the failures a leak would ride on, or the
		// check below proves nothing.
		for _, want := range []string{"HTTP 401", "4004"} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("the log does not mention %q: the failure paths were not exercised", want)
			}
		}
		texts := map[string]string{
			"log": logs.String(), "console": console.String(), "events file": rzFile(t, cfg.Output.JSONL),
			"/metrics": metrics, "/healthz": healthz, "Stop error": stopErr,
		}
		for k, v := range rzStoreTexts(t, cfg.Storage.Path, discord.DestBot) {
			texts[k] = v
		}
		sc := rzSecretCheck{secrets: []string{wrong, "Bot " + wrong}, fragments: []string{wrong[strings.Index(wrong, ".")+1:]}}
		for where, text := range texts {
			sc.check(t, where, text)
		}
	})

	t.Run("webhook", func(t *testing.T) {
		t.Parallel()
		srv := rzFake(t)
		id, _, _ := srv.CreateWebhook(discordtest.DefaultChannelID)
		tok := rzWebhookToken("deleted")
		hook := srv.URL + "/api/webhooks/" + id + "/" + tok // a wrong token: 404 Unknown Webhook
		cfg := testConfig(t)
		cfg.Discord.WebhookURL = config.Secret(hook)
		cfg.Output.Console = config.ConsoleOn
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		logger, logs := rzLogger()
		a, console := startAgent(t, cfg, WithLogger(logger))
		const route = "POST /webhooks/{id}/{token}"

		waitFor(t, 30*time.Second, "a post answered 404", func() bool { return rzRequested(srv, 0, route, 404) })
		waitFor(t, 30*time.Second, "a message given up", func() bool { return a.delivery.Stats().Failed >= 1 })
		n := len(srv.Requests())
		srv.SetOutage(503)
		waitFor(t, 30*time.Second, "a post answered 503", func() bool { return rzRequested(srv, n, route, 503) })
		n = len(srv.Requests())
		srv.SetOutage(-1)
		waitFor(t, 30*time.Second, "a post met a reset connection", func() bool { return rzRequested(srv, n, route, 0) })
		waitEvents(t, cfg.Output.JSONL, 30*time.Second, func(e []map[string]any) bool {
			return len(eventsOf(e, reportdata.EventSystem)) >= 1
		})
		metrics := httpGet(t, "http://"+a.HTTPAddr()+"/metrics")
		healthz := httpGet(t, "http://"+a.HTTPAddr()+"/healthz")
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		stopErr := fmt.Sprint(a.Stop(ctx)) // the outage leaves messages queued: logged, with the delivery errors

		for _, want := range []string{"HTTP 404", "HTTP 503", "post message: Post"} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("the log does not mention %q: the failure paths were not exercised", want)
			}
		}
		texts := map[string]string{
			"log": logs.String(), "console": console.String(), "events file": rzFile(t, cfg.Output.JSONL),
			"/metrics": metrics, "/healthz": healthz, "Stop error": stopErr,
		}
		for k, v := range rzStoreTexts(t, cfg.Storage.Path, discord.DestWebhook) {
			texts[k] = v
		}
		sc := rzSecretCheck{secrets: []string{hook, tok}, fragments: []string{tok}}
		for where, text := range texts {
			sc.check(t, where, text)
		}
	})
}

// rzEnvelope is a report's envelope as delivered or queued.
type rzEnvelope struct {
	Event     reportdata.Kind `json:"event"`
	Timestamp string          `json:"timestamp"`
	Data      map[string]any  `json:"data"`
}

func (e rzEnvelope) key() string { return string(e.Event) + "@" + e.Timestamp }

func (e rzEnvelope) isStartNotice() bool {
	msg, _ := e.Data["message"].(string)
	return e.Event == reportdata.EventAlert && strings.Contains(msg, " started on ")
}

// rzFileEnvelopes decodes the "<event>.json" attachments of files, in order.
func rzFileEnvelopes(t *testing.T, names []string, data [][]byte) []rzEnvelope {
	t.Helper()
	var out []rzEnvelope
	for i, name := range names {
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		var e rzEnvelope
		if err := json.Unmarshal(data[i], &e); err != nil {
			t.Fatalf("attachment %s is not an envelope: %v", name, err)
		}
		if string(e.Event)+".json" != name {
			t.Fatalf("attachment %s carries event %q", name, e.Event)
		}
		out = append(out, e)
	}
	return out
}

// rzDelivered returns the envelopes attached to the channel's messages, in
// the order Discord received them.
func rzDelivered(t *testing.T, srv *discordtest.Server, channel string) []rzEnvelope {
	t.Helper()
	var out []rzEnvelope
	for _, m := range srv.Messages(channel) {
		var names []string
		var data [][]byte
		for _, f := range m.Files {
			names, data = append(names, f.Name), append(data, f.Data)
		}
		out = append(out, rzFileEnvelopes(t, names, data)...)
	}
	return out
}

// rzQueued returns the envelopes of the pending outbox messages of dest in
// sending order; the agent owning the store must be stopped.
func rzQueued(t *testing.T, path, dest string) []rzEnvelope {
	t.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopen store: %v", err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	}()
	rows, err := st.Pending(context.Background(), dest, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var out []rzEnvelope
	for _, r := range rows {
		var p render.Payload
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Fatalf("outbox row %d: %v", r.ID, err)
		}
		var names []string
		var data [][]byte
		for _, f := range p.Files {
			names, data = append(names, f.Name), append(data, f.Data)
		}
		out = append(out, rzFileEnvelopes(t, names, data)...)
	}
	return out
}

// rzPublished returns the envelopes of the events file that went to the
// Discord queue: every periodic report (all in post mode) and every alert.
func rzPublished(t *testing.T, path string) []rzEnvelope {
	t.Helper()
	var out []rzEnvelope
	for _, e := range readEvents(t, path) {
		ev, _ := e["event"].(string)
		if !rzReportKinds[reportdata.Kind(ev)] && reportdata.Kind(ev) != reportdata.EventAlert {
			continue
		}
		ts, _ := e["timestamp"].(string)
		d, _ := e["data"].(map[string]any)
		out = append(out, rzEnvelope{Event: reportdata.Kind(ev), Timestamp: ts, Data: d})
	}
	return out
}

// rzPositions maps each delivered envelope key to its positions.
func rzPositions(delivered []rzEnvelope) map[string][]int {
	pos := map[string][]int{}
	for i, e := range delivered {
		pos[e.key()] = append(pos[e.key()], i)
	}
	return pos
}

// rzExactlyOnce checks that every envelope of want was delivered once and
// returns the delivery positions in want's order.
func rzExactlyOnce(t *testing.T, want []rzEnvelope, pos map[string][]int) []int {
	t.Helper()
	var at []int
	for _, e := range want {
		switch p := pos[e.key()]; len(p) {
		case 1:
			at = append(at, p[0])
		case 0:
			t.Errorf("%s was never delivered", e.key())
			at = append(at, -1)
		default:
			t.Errorf("%s was delivered %d times", e.key(), len(p))
			at = append(at, p[0])
		}
	}
	return at
}

func TestAgent_restartResumesQueue(t *testing.T) {
	t.Parallel()
	srv := rzFake(t)
	srv.SetOutage(503) // Discord down for the whole first run: nothing is delivered
	cfg := botConfig(t, srv)
	rzAllPost(t, cfg)
	ch := discordtest.DefaultChannelID

	logger, logs := rzLogger()
	a1, _ := startAgent(t, cfg, WithLogger(logger))
	waitEvents(t, cfg.Output.JSONL, 30*time.Second, func(e []map[string]any) bool {
		return len(eventsOf(e, reportdata.EventSystem)) >= 3
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := a1.Stop(ctx); err != nil {
		t.Errorf("Stop during the outage: %v", err) // a queue left for the next start is not a failure
	}
	if !strings.Contains(logs.String(), "left in the outbox") {
		t.Error("Stop did not log that messages were left in the outbox")
	}
	if n := len(srv.Messages(ch)); n != 0 {
		t.Fatalf("%d messages reached the channel during the outage", n)
	}

	// Everything published (reports and the start notice) is in the outbox,
	// in publishing order for each kind.
	published := rzPublished(t, cfg.Output.JSONL)
	queued := rzQueued(t, cfg.Storage.Path, discord.DestBot)
	inQueue := map[string]bool{}
	for _, e := range queued {
		inQueue[e.key()] = true
	}
	for _, e := range published {
		if !inQueue[e.key()] {
			t.Errorf("%s was published during the outage but is not in the outbox", e.key())
		}
	}
	if len(queued) != len(published) {
		t.Errorf("outbox holds %d messages, %d were published", len(queued), len(published))
	}
	if len(published) < 4 {
		t.Fatalf("only %d messages published during the outage", len(published))
	}
	run1 := map[string]bool{}
	for _, e := range queued {
		run1[e.key()] = true
	}

	// A new agent on the same storage delivers the queue.
	srv.SetOutage(0)
	startAgent(t, cfg)
	waitFor(t, 60*time.Second, "every queued message delivered", func() bool {
		pos := rzPositions(rzDelivered(t, srv, ch))
		for _, e := range queued {
			if len(pos[e.key()]) == 0 {
				return false
			}
		}
		return true
	})
	delivered := rzDelivered(t, srv, ch)
	pos := rzPositions(delivered)
	at := rzExactlyOnce(t, queued, pos)

	// The first run's messages arrive in outbox order: alerts first, then
	// the reports in the order they were published.
	for i := 1; i < len(at); i++ {
		if at[i] >= 0 && at[i-1] >= 0 && at[i] < at[i-1] {
			t.Errorf("%s (queued #%d) arrived before %s (queued #%d)", queued[i].key(), i, queued[i-1].key(), i-1)
		}
	}
	lastTS := map[reportdata.Kind]time.Time{}
	for _, e := range queued {
		ts := rzTime(t, e.Timestamp)
		if ts.Before(lastTS[e.Event]) {
			t.Errorf("%s queued after a later %s", e.key(), e.Event)
		}
		lastTS[e.Event] = ts
	}
	firstReport, lastReport := len(delivered), -1
	for i, e := range delivered {
		if run1[e.key()] && rzReportKinds[e.Event] {
			firstReport, lastReport = min(firstReport, i), i
		}
	}
	// The second run's start notice (an alert) was published after every
	// report of the first run, and still goes before them.
	var notice2 = -1
	for i, e := range delivered {
		if !run1[e.key()] && e.isStartNotice() {
			notice2 = i
			break
		}
	}
	switch {
	case notice2 < 0:
		t.Error("the second run's start notice was not delivered")
	case notice2 > firstReport:
		t.Errorf("the second run's start notice arrived at #%d, after the first run's report at #%d", notice2, firstReport)
	}
	for i, e := range delivered {
		if !run1[e.key()] && rzReportKinds[e.Event] && i < lastReport {
			t.Errorf("second-run report %s arrived at #%d, before the first run's last report at #%d", e.key(), i, lastReport)
		}
	}
}

func TestAgent_stopDrainsOutbox(t *testing.T) {
	t.Parallel()
	srv := rzFake(t)
	cfg := botConfig(t, srv)
	for _, r := range []*config.Report{&cfg.Reports.System, &cfg.Reports.Network, &cfg.Reports.Memory, &cfg.Reports.Commands, &cfg.Reports.Health} {
		r.Mode = config.ModeOff
	}
	a, _ := startAgent(t, cfg)
	ch := discordtest.DefaultChannelID
	waitFor(t, 30*time.Second, "the start notice", func() bool { return len(titled(srv.Messages(ch), "started")) == 1 })
	waitFor(t, 30*time.Second, "the gateway session", func() bool { return a.sessionState.Load() == sessionOpen })

	// Discord answers the next post slowly; Stop begins while it is queued
	// or in flight, and must deliver it before it returns.
	srv.Script("POST /channels/{id}/messages", discordtest.Reply{Delay: time.Second})
	if err := a.Reporter().Info(context.Background(), "test", "published just before Stop"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if n := len(titled(srv.Messages(ch), "published just before Stop")); n != 1 {
		t.Errorf("the message queued before Stop was delivered %d times by the time Stop returned, want 1", n)
	}
}

func TestAgent_discordUnreachableAtStart(t *testing.T) {
	t.Parallel()
	srv := rzFake(t)
	srv.SetOutage(-1) // every REST request has its connection reset, GET /gateway included
	cfg := botConfig(t, srv)
	rzAllPost(t, cfg)
	logger, logs := rzLogger()
	a, _ := startAgent(t, cfg, WithLogger(logger))
	ch := discordtest.DefaultChannelID

	waitEvents(t, cfg.Output.JSONL, 30*time.Second, func(e []map[string]any) bool {
		return len(eventsOf(e, reportdata.EventSystem)) >= 2
	})
	if srv.Identifies() != 0 || len(srv.Messages(ch)) != 0 {
		t.Fatalf("Discord was reached during the outage: %d identifies, %d messages", srv.Identifies(), len(srv.Messages(ch)))
	}
	if a.delivery.Stats().QueueDepth == 0 {
		t.Error("nothing queued during the outage")
	}
	if !strings.Contains(logs.String(), "cannot connect; retrying") {
		t.Error("the failed gateway connection was not logged")
	}
	published := rzPublished(t, cfg.Output.JSONL)

	srv.SetOutage(0)
	waitFor(t, 60*time.Second, "the gateway session", func() bool { return srv.Identifies() >= 1 })
	waitFor(t, 60*time.Second, "every message queued during the outage delivered", func() bool {
		pos := rzPositions(rzDelivered(t, srv, ch))
		for _, e := range published {
			if len(pos[e.key()]) == 0 {
				return false
			}
		}
		return true
	})
	rzExactlyOnce(t, published, rzPositions(rzDelivered(t, srv, ch)))
	var notices int
	for _, e := range published {
		if e.isStartNotice() {
			notices++
		}
	}
	if notices != 1 {
		t.Errorf("%d start notices published, want 1", notices)
	}
	for _, m := range srv.Messages(ch) {
		if !m.NoMentions {
			t.Errorf("message %s lacks allowed_mentions {\"parse\":[]}", m.ID)
		}
	}
}

func TestAgent_fatalGatewayClose(t *testing.T) {
	t.Parallel()
	srv := rzFake(t, discordtest.WithToken(rzBotToken("the real one")))
	cfg := botConfig(t, srv) // botConfig takes srv.Token(): set a different one
	cfg.Discord.Token = config.Secret(rzBotToken("another one"))
	logger, logs := rzLogger()
	startAgent(t, cfg, WithLogger(logger))

	evs := waitEvents(t, cfg.Output.JSONL, 30*time.Second, func(e []map[string]any) bool {
		return len(rzNotice(e, "4004")) >= 1
	})
	if n := len(rzNotice(evs, "4004")); n != 1 {
		t.Errorf("%d notices of the 4004 close, want 1", n)
	}
	noticeTS, _ := rzNotice(evs, "4004")[0]["timestamp"].(string)
	noticeAt := rzTime(t, noticeTS)
	if !strings.Contains(logs.String(), "fatal code") || !strings.Contains(logs.String(), "code=4004") {
		t.Error("the fatal close is not logged with its code")
	}
	if srv.Identifies() != 0 {
		t.Errorf("%d IDENTIFYs were accepted with a wrong token", srv.Identifies())
	}

	// No reconnection: the number of gateway connections stays put while
	// the agent keeps reporting (two more system reports, ~2 s).
	conns := srv.Connections()
	if conns < 1 {
		t.Fatal("the agent never connected to the gateway")
	}
	waitEvents(t, cfg.Output.JSONL, 30*time.Second, func(e []map[string]any) bool {
		n := 0
		for _, s := range eventsOf(e, reportdata.EventSystem) {
			if ts, _ := s["timestamp"].(string); rzTime(t, ts).After(noticeAt) {
				n++
			}
		}
		return n >= 2
	})
	if got := srv.Connections(); got != conns {
		t.Errorf("gateway connections went from %d to %d after the fatal close", conns, got)
	}
}

func TestAgent_eventsFileDiskFull(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	// healthzErrors reads report_errors from /healthz.
	healthzErrors := func(t *testing.T, a *Agent) int64 {
		var hz httpapi.Health
		if err := json.Unmarshal([]byte(httpGet(t, "http://"+a.HTTPAddr()+"/healthz")), &hz); err != nil {
			t.Fatal(err)
		}
		return hz.ReportErrors
	}
	check := func(t *testing.T, a *Agent, logs *syncBuffer) {
		t.Helper()
		waitFor(t, 30*time.Second, "report_errors > 0 on /healthz", func() bool { return healthzErrors(t, a) > 0 })
		if l := logs.String(); !strings.Contains(l, "events file") || !strings.Contains(l, "no space left on device") {
			t.Error("the failed events-file writes are not logged")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	}

	t.Run("console", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t)
		cfg.Output.JSONL = "/dev/full" // every write fails with ENOSPC
		logger, logs := rzLogger()
		a, console := startAgent(t, cfg, WithLogger(logger))
		waitFor(t, 30*time.Second, "two system reports on the console", func() bool {
			return strings.Count(console.String(), "Detailed System Monitor") >= 2
		})
		check(t, a, logs)
	})

	t.Run("bot", func(t *testing.T) {
		t.Parallel()
		srv := rzFake(t)
		cfg := botConfig(t, srv)
		cfg.Output.JSONL = "/dev/full"
		rzAllPost(t, cfg)
		logger, logs := rzLogger()
		a, _ := startAgent(t, cfg, WithLogger(logger))
		waitFor(t, 30*time.Second, "two system reports in Discord", func() bool {
			return len(titled(srv.Messages(discordtest.DefaultChannelID), "Detailed System Monitor")) >= 2
		})
		check(t, a, logs)
	})
}

func TestAgent_stopDuringGatewayConnect(t *testing.T) {
	t.Parallel()
	srv := rzFake(t)
	cfg := botConfig(t, srv)
	// The gateway URL comes slowly: Stop, called at once, runs while the
	// agent's Open is under way (Open takes no context and cannot be
	// interrupted).
	srv.Script("GET /gateway", discordtest.Reply{Delay: time.Second})
	a, _ := startAgent(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
	// Stop waited for the connection attempt; a session it opened is closed
	// again (goleak, in TestMain, checks its goroutines are gone too).
	waitFor(t, 10*time.Second, "no open gateway connection", func() bool { return srv.OpenConnections() == 0 })
}
