package deliver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexusmon/nexusmon/deliver/discord"
	"github.com/nexusmon/nexusmon/internal/discordtest"
	"github.com/nexusmon/nexusmon/internal/store"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

func TestDelivery_BotPostAndEdit(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, dlvFastLimits()...)
	st, _ := dlvStore(t)
	d := dlvStart(t, st, dlvBot(t, srv, srv.Token(), nil), dlvOpts(nil))
	at := time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)
	ch := discordtest.DefaultChannelID

	// A post: embeds, the JSON attachment, no mentions.
	p, err := render.Render(dlvReport("Posted", at))
	if err != nil {
		t.Fatal(err)
	}
	dlvEnqueue(t, d, Outbound{Kind: reportdata.EventSystem, Priority: report.PriorityReport, Payload: p})
	dlvFlush(t, d, 10*time.Second)
	msgs := srv.Messages(ch)
	if len(msgs) != 1 {
		t.Fatalf("messages = %d, want 1", len(msgs))
	}
	m := msgs[0]
	if got := dlvTitles(msgs); len(got) != 1 || !strings.Contains(got[0], "Posted") {
		t.Errorf("embed titles = %q, want one containing Posted", got)
	}
	if len(m.Files) != 1 || m.Files[0].Name != string(reportdata.EventSystem)+".json" {
		t.Errorf("files = %+v, want %s.json", m.Files, reportdata.EventSystem)
	} else {
		var env map[string]any
		if err := json.Unmarshal(m.Files[0].Data, &env); err != nil || env["event"] != string(reportdata.EventSystem) {
			t.Errorf("attachment = %s (%v), want the envelope of %s", m.Files[0].Data, err, reportdata.EventSystem)
		}
	}
	if !m.NoMentions {
		t.Errorf("allowed_mentions = %s, want an explicit empty parse list", m.AllowedMentions)
	}
	var am struct {
		Parse []string `json:"parse"`
	}
	if err := json.Unmarshal(m.AllowedMentions, &am); err != nil || am.Parse == nil || len(am.Parse) != 0 {
		t.Errorf("allowed_mentions = %s, want parse == []", m.AllowedMentions)
	}

	// Edit mode: the first report posts, the second edits in place.
	edit := func(title string) {
		t.Helper()
		p, err := render.Render(dlvReport(title, at))
		if err != nil {
			t.Fatal(err)
		}
		dlvEnqueue(t, d, Outbound{Kind: reportdata.EventSystem, Priority: report.PriorityReport, EditKey: string(reportdata.EventSystem), Payload: p})
		dlvFlush(t, d, 10*time.Second)
	}
	edit("Live one")
	msgs = srv.Messages(ch)
	if len(msgs) != 2 {
		t.Fatalf("after the first edit-mode report: %d messages, want 2", len(msgs))
	}
	liveID := msgs[1].ID
	edit("Live two")
	msgs = srv.Messages(ch)
	if len(msgs) != 2 || msgs[1].ID != liveID {
		t.Fatalf("after the second edit-mode report: %d messages, live %q; want 2, the same live id %q", len(msgs), msgs[len(msgs)-1].ID, liveID)
	}
	if got := dlvTitles(msgs[1:]); len(got) != 1 || !strings.Contains(got[0], "Live two") || msgs[1].EditedAt.IsZero() {
		t.Errorf("live message = %q (edited %v), want it edited to Live two", got, msgs[1].EditedAt)
	}
	if len(msgs[1].Files) != 1 || !bytes.Contains(msgs[1].Files[0].Data, []byte("Live two")) {
		t.Errorf("live message files = %d, want the one new JSON attachment", len(msgs[1].Files))
	}

	// Someone deletes the live message: the next report posts a new one.
	srv.DeleteMessage(ch, liveID)
	edit("Live three")
	msgs = srv.Messages(ch)
	if len(msgs) != 2 || msgs[1].ID == liveID {
		t.Fatalf("after the deletion: %d messages, want the post and a new live message", len(msgs))
	}
	if got := dlvTitles(msgs[1:]); !strings.Contains(got[0], "Live three") {
		t.Errorf("new live message = %q, want Live three", got)
	}
	if v, ok, err := st.Get(context.Background(), liveNS, discord.DestBot+"/"+string(reportdata.EventSystem)); err != nil || !ok || string(v) != msgs[1].ID {
		t.Errorf("stored live id = %q (%v, %v), want %q", v, ok, err, msgs[1].ID)
	}
	if s := d.Stats(); s.Sent != 4 || s.Failed != 0 || s.QueueDepth != 0 {
		t.Errorf("Stats = %+v, want 4 sent, 0 failed, empty queue", s)
	}
}

func TestDelivery_WebhookPostAndEdit(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, dlvFastLimits()...)
	hookID, _, hookURL := srv.CreateWebhook(discordtest.DefaultChannel2ID)
	st, _ := dlvStore(t)
	d := dlvStart(t, st, dlvWebhook(t, hookURL, nil), dlvOpts(nil))

	dlvEnqueue(t, d, Outbound{Kind: reportdata.EventAlert, Priority: report.PriorityAlert, Payload: dlvPayload("alert", "performance_alert.json")})
	dlvEnqueue(t, d, Outbound{Kind: reportdata.EventSystem, Priority: report.PriorityReport, EditKey: string(reportdata.EventSystem), Payload: dlvPayload("live v1", "a.json")})
	dlvFlush(t, d, 10*time.Second)
	dlvEnqueue(t, d, Outbound{Kind: reportdata.EventSystem, Priority: report.PriorityReport, EditKey: string(reportdata.EventSystem), Payload: dlvPayload("live v2", "b.json")})
	dlvFlush(t, d, 10*time.Second)

	msgs := srv.Messages(discordtest.DefaultChannel2ID)
	if got := dlvTitles(msgs); len(msgs) != 2 || got[0] != "alert" || got[1] != "live v2" {
		t.Fatalf("webhook messages = %q, want [alert, live v2] in two messages", got)
	}
	for _, m := range msgs {
		if m.WebhookID != hookID || !m.NoMentions {
			t.Errorf("message %s: webhook %q, no mentions %v; want %q, true", m.ID, m.WebhookID, m.NoMentions, hookID)
		}
	}
	if live := msgs[1]; live.EditedAt.IsZero() || len(live.Files) != 1 || live.Files[0].Name != "b.json" {
		t.Errorf("live message: edited %v, files %+v; want edited with only b.json", live.EditedAt, live.Files)
	}
	for _, r := range srv.Requests() {
		if r.Route == dlvWebhookPost && !strings.Contains(r.Query, "wait=true") {
			t.Errorf("webhook post query %q, want wait=true", r.Query)
		}
	}
}

func TestDelivery_OutageLosesNothing(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, dlvFastLimits()...)
	st, _ := dlvStore(t)
	srv.SetOutage(http.StatusInternalServerError)
	d := dlvStart(t, st, dlvBot(t, srv, srv.Token(), nil), dlvOpts(nil))

	var want []string
	for i := range 4 {
		dlvEnqueue(t, d, Outbound{Kind: reportdata.EventSystem, Priority: report.PriorityReport, Payload: dlvPayload(fmt.Sprintf("report %d", i), "r.json")})
	}
	srv.WaitFor(t, 5*time.Second, func(r discordtest.Request) bool { return r.Status == http.StatusInternalServerError })
	for i := range 3 {
		title := fmt.Sprintf("alert %d", i)
		want = append(want, title)
		dlvEnqueue(t, d, Outbound{Kind: reportdata.EventAlert, Priority: report.PriorityAlert, Payload: dlvPayload(title, "")})
	}
	for i := range 4 {
		want = append(want, fmt.Sprintf("report %d", i))
	}
	srv.SetOutage(-1) // connections reset
	srv.WaitFor(t, 5*time.Second, func(r discordtest.Request) bool { return r.Status == 0 })
	srv.SetOutage(0)
	dlvFlush(t, d, 10*time.Second)

	got := dlvTitles(srv.Messages(discordtest.DefaultChannelID))
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("delivered %q\nwant      %q (alerts first, each once, in order)", got, want)
	}
	s := d.Stats()
	if s.Retries == 0 || s.Failed != 0 || s.Sent != 7 {
		t.Errorf("Stats = %+v, want retries > 0, 0 failed, 7 sent", s)
	}
}

func TestDelivery_RestartResumes(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, dlvFastLimits()...)
	st, path := dlvStore(t)
	srv.SetOutage(http.StatusBadGateway)

	d1, err := NewDelivery(st, dlvBot(t, srv, srv.Token(), nil), dlvOpts(nil))
	if err != nil {
		t.Fatal(err)
	}
	d1.Start(context.Background())
	for i := range 3 {
		dlvEnqueue(t, d1, Outbound{Kind: reportdata.EventHealth, Priority: report.PriorityReport, Payload: dlvPayload(fmt.Sprintf("r%d", i), "h.json")})
	}
	srv.WaitFor(t, 5*time.Second, func(r discordtest.Request) bool { return r.Status == http.StatusBadGateway })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	err = d1.Stop(ctx)
	cancel()
	if err == nil || !strings.Contains(err.Error(), "3 messages left") {
		t.Fatalf("Stop during an outage = %v, want 3 messages left", err)
	}
	head, ok, err := st.Head(context.Background(), discord.DestBot)
	if err != nil || !ok || head.Attempts == 0 || head.LastError == "" {
		t.Fatalf("head after Stop = %+v (%v, %v), want attempts and the last error recorded", head, ok, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// A new process: the same file, a new sender and delivery.
	st2, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st2.Close(); err != nil {
			t.Error(err)
		}
	})
	d2 := dlvStart(t, st2, dlvBot(t, srv, srv.Token(), nil), dlvOpts(nil))
	if got := d2.Stats().QueueDepth; got != 3 {
		t.Errorf("QueueDepth after restart = %d, want 3", got)
	}
	srv.SetOutage(0)
	dlvFlush(t, d2, 10*time.Second)
	if got := dlvTitles(srv.Messages(discordtest.DefaultChannelID)); strings.Join(got, ",") != "r0,r1,r2" {
		t.Errorf("delivered after restart = %q, want r0,r1,r2", got)
	}
}

func TestDelivery_RateLimitDrain(t *testing.T) {
	t.Parallel()
	const (
		n      = 200
		limit  = 40
		window = time.Second
	)
	srv := discordtest.New(t, discordtest.WithLimit(dlvChannelPost, discordtest.RouteLimit{Limit: limit, Window: window}))
	st, _ := dlvStore(t)
	d, err := NewDelivery(st, dlvBot(t, srv, srv.Token(), nil), dlvOpts(nil))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		// Same file name: no two merge, so each is one request.
		dlvEnqueue(t, d, Outbound{Kind: reportdata.EventCommands, Priority: report.PriorityReport, Payload: dlvPayload(fmt.Sprintf("m%03d", i), "c.json")})
	}
	d.Start(context.Background())
	t.Cleanup(func() {
		if err := d.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	dlvFlush(t, d, 30*time.Second)

	if got := srv.RateLimited(); got > 1 {
		t.Errorf("429s = %d, want at most 1", got)
	}
	var ok []time.Time
	for _, r := range srv.Requests() {
		if r.Route == dlvChannelPost && r.Status == http.StatusOK {
			ok = append(ok, r.At)
		}
	}
	if len(ok) != n {
		t.Fatalf("accepted posts = %d, want %d", len(ok), n)
	}
	// Never faster than the limit: n posts need at least n/limit-1 full windows.
	if span, min := ok[n-1].Sub(ok[0]), time.Duration(n/limit-1)*window; span < min {
		t.Errorf("%d posts took %v, want at least %v at %d per %v", n, span, min, limit, window)
	}
	got := dlvTitles(srv.Messages(discordtest.DefaultChannelID))
	for i := range got {
		if want := fmt.Sprintf("m%03d", i); got[i] != want {
			t.Fatalf("message %d = %q, want %q (order)", i, got[i], want)
		}
	}
}

func TestDelivery_RetryAfterHonoured(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		global bool
	}{{"route", false}, {"global", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := discordtest.New(t, dlvFastLimits()...)
			srv.Script(dlvChannelPost, discordtest.Reply{Status: http.StatusTooManyRequests, RetryAfter: 0.3, Global: tc.global}, discordtest.Reply{})
			st, _ := dlvStore(t)
			d := dlvStart(t, st, dlvBot(t, srv, srv.Token(), nil), dlvOpts(nil))
			dlvEnqueue(t, d, Outbound{Kind: reportdata.EventAlert, Priority: report.PriorityAlert, Payload: dlvPayload("once", "")})
			dlvFlush(t, d, 10*time.Second)

			var limited, accepted time.Time
			for _, r := range srv.Requests() {
				switch {
				case r.Route == dlvChannelPost && r.Status == http.StatusTooManyRequests:
					limited = r.At
				case r.Route == dlvChannelPost && r.Status == http.StatusOK:
					accepted = r.At
				}
			}
			if limited.IsZero() || accepted.IsZero() {
				t.Fatalf("want a 429 then an accepted post; saw 429 at %v, 200 at %v", limited, accepted)
			}
			if gap := accepted.Sub(limited); gap < 300*time.Millisecond {
				t.Errorf("retried %v after the 429, want no earlier than retry_after 300ms", gap)
			}
			if got := dlvTitles(srv.Messages(discordtest.DefaultChannelID)); len(got) != 1 {
				t.Errorf("messages = %q, want exactly one", got)
			}
			if s := d.Stats(); s.RateLimited != 1 || s.Sent != 1 {
				t.Errorf("Stats = %+v, want 1 rate limited, 1 sent", s)
			}
		})
	}
}

func TestDelivery_SecretsNeverLeak(t *testing.T) {
	t.Parallel()
	const wrongToken = "not-the-token-SECRET-4242"
	srv := discordtest.New(t, dlvFastLimits()...)
	_, hookToken, hookURL := srv.CreateWebhook(discordtest.DefaultChannelID)
	badHook := strings.Replace(hookURL, hookToken, "wrongtoken-SECRET-77", 1)
	var logs dlvLogBuffer
	log := logs.logger()

	var errs []string
	for _, tc := range []struct {
		name   string
		sender discord.Sender
	}{
		{"bot 401", dlvBot(t, srv, wrongToken, log)},
		{"webhook 404", dlvWebhook(t, badHook, log)},
	} {
		// The sender's own errors.
		_, err := tc.sender.Post(context.Background(), &render.Payload{Content: "x", AllowedMentions: render.NoMentions()})
		if err == nil {
			t.Fatalf("%s: Post succeeded", tc.name)
		}
		errs = append(errs, err.Error(), fmt.Sprintf("%+v", err))
		err = tc.sender.Edit(context.Background(), "1300000000000000000", &render.Payload{Content: "x", AllowedMentions: render.NoMentions()})
		errs = append(errs, err.Error())

		// And through a delivery, with its logs, store and stats.
		st, _ := dlvStore(t)
		d := dlvStart(t, st, tc.sender, dlvOpts(log))
		dlvEnqueue(t, d, Outbound{Kind: reportdata.EventAlert, Priority: report.PriorityAlert, Payload: dlvPayload("a", "")})
		dlvEnqueue(t, d, Outbound{Kind: reportdata.EventSystem, Priority: report.PriorityReport, EditKey: "live", Payload: dlvPayload("b", "")})
		dlvFlush(t, d, 10*time.Second)
		if s := d.Stats(); s.Failed != 2 {
			t.Errorf("%s: Stats = %+v, want 2 failed", tc.name, s)
		}
		failed, err := st.Failed(context.Background(), tc.sender.Name(), 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range failed {
			errs = append(errs, f.Reason, f.LastError)
		}
		errs = append(errs, fmt.Sprintf("%+v", d.Stats()))
	}
	// Transport errors (a closed port) carry the request URL in *url.Error.
	dead := dlvWebhook(t, "http://127.0.0.1:1/api/v10/webhooks/1300000000000000001/deadtoken-SECRET-99", log)
	_, err := dead.Post(context.Background(), &render.Payload{Content: "x", AllowedMentions: render.NoMentions()})
	if err == nil {
		t.Fatal("post to a closed port succeeded")
	}
	errs = append(errs, err.Error())

	all := strings.Join(errs, "\n") + "\n" + logs.String()
	for _, secret := range []string{wrongToken, srv.Token(), hookURL, hookToken, badHook, "wrongtoken-SECRET-77", "deadtoken-SECRET-99"} {
		if strings.Contains(all, secret) {
			t.Errorf("secret %q leaked into errors or logs:\n%s", secret, all)
		}
	}
	if !strings.Contains(all, "HTTP 401") || !strings.Contains(all, "10015") {
		t.Errorf("errors lack the status and code that explain them:\n%s", all)
	}
}

// dlvNopSender is a Sender that never touches the network.
type dlvNopSender struct {
	name  string
	mu    sync.Mutex
	posts []string
}

func (r *dlvNopSender) Name() string { return r.name }
func (r *dlvNopSender) Post(_ context.Context, p *render.Payload) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.posts = append(r.posts, p.Embeds[0].Title)
	return fmt.Sprint(1300000000000000000 + len(r.posts)), nil
}
func (r *dlvNopSender) Edit(context.Context, string, *render.Payload) error { return nil }

func TestDelivery_StopDrainsAndNoLeaks(t *testing.T) {
	// Not parallel: goleak compares against the goroutines of this test only.
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })

	srv, _, d := dlvBotDelivery(t)
	for i := range 5 {
		dlvEnqueue(t, d, Outbound{Kind: reportdata.EventSystem, Priority: report.PriorityReport, Payload: dlvPayload(fmt.Sprintf("s%d", i), "s.json")})
	}
	d.Start(context.Background())
	d.Start(context.Background()) // a second Start does nothing
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if got := len(srv.Messages(discordtest.DefaultChannelID)); got != 5 {
		t.Errorf("Stop delivered %d messages, want all 5 (drain)", got)
	}
	if err := d.Stop(ctx); err != nil {
		t.Errorf("second Stop = %v, want nil", err)
	}
}

// A batch refused for its destination (401) fails as a whole with one
// request, rather than one invalid request per message.
func TestDelivery_BatchUnauthorizedFailsTogether(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, dlvFastLimits()...)
	st, _ := dlvStore(t)
	d, err := NewDelivery(st, dlvBot(t, srv, "wrong-token", nil), dlvOpts(nil))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		dlvEnqueue(t, d, Outbound{Kind: reportdata.EventAlert, Priority: report.PriorityAlert, Payload: dlvPayload(fmt.Sprintf("a%d", i), "")})
	}
	d.Start(context.Background())
	t.Cleanup(func() {
		if err := d.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	dlvFlush(t, d, 10*time.Second)
	if n := dlvCount(srv, dlvChannelPost, -1); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
	if s := d.Stats(); s.Failed != 3 || s.Sent != 0 {
		t.Errorf("Stats = %+v, want 3 failed", s)
	}
	failed, err := st.Failed(context.Background(), discord.DestBot, 0)
	if err != nil || len(failed) != 3 || !strings.HasPrefix(failed[0].Reason, discord.ReasonUnauthorized+":") {
		t.Errorf("failed = %+v (%v), want 3 unauthorized", failed, err)
	}
}

func TestDelivery_StopAndFlushEdges(t *testing.T) {
	t.Parallel()
	st, _ := dlvStore(t)
	d, err := NewDelivery(st, &dlvNopSender{name: discord.DestBot}, DeliveryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Stop(context.Background()); err != nil {
		t.Errorf("Stop before Start = %v, want nil", err)
	}
	if err := d.Flush(context.Background()); err != nil {
		t.Errorf("Flush of an empty outbox = %v, want nil", err)
	}
	dlvEnqueue(t, d, Outbound{Kind: reportdata.EventAlert, Priority: report.PriorityAlert, Payload: dlvPayload("x", "")})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := d.Flush(ctx); err == nil || !strings.Contains(err.Error(), "1 messages still pending") {
		t.Errorf("Flush without a running loop = %v, want the deadline with 1 pending", err)
	}
	// Start, stop, start again: the loop delivers after a restart in-process.
	d.Start(context.Background())
	if err := d.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	dlvEnqueue(t, d, Outbound{Kind: reportdata.EventAlert, Priority: report.PriorityAlert, Payload: dlvPayload("y", "")})
	d.Start(context.Background())
	dlvFlush(t, d, 5*time.Second)
	if err := d.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := d.Stats(); s.Sent != 2 || s.QueueDepth != 0 {
		t.Errorf("Stats = %+v, want 2 sent", s)
	}
	if _, err := NewDelivery(nil, &dlvNopSender{name: discord.DestBot}, DeliveryOptions{}); err == nil {
		t.Error("NewDelivery without a store succeeded")
	}
	if _, err := NewDelivery(st, &dlvNopSender{}, DeliveryOptions{}); err == nil {
		t.Error("NewDelivery with a nameless sender succeeded")
	}
}

// dlvBotDelivery is the common setup: the fake with fast limits, a temp
// store, and a bot-sender Delivery with the default test options (not started).
func dlvBotDelivery(t *testing.T) (*discordtest.Server, *store.Store, *Delivery) {
	t.Helper()
	srv := discordtest.New(t, dlvFastLimits()...)
	st, _ := dlvStore(t)
	d, err := NewDelivery(st, dlvBot(t, srv, srv.Token(), nil), dlvOpts(nil))
	if err != nil {
		t.Fatal(err)
	}
	return srv, st, d
}
