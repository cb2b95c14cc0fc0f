package deliver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/deliver/discord"
	"github.com/nexusmon/nexusmon/internal/discordapi"
	"github.com/nexusmon/nexusmon/internal/discordtest"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

func TestDelivery_PermanentFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		reply  discordtest.Reply
		reason string
	}{
		{"invalid form body", discordtest.Reply{Status: 400, Body: `{"code":50035,"message":"Invalid Form Body","errors":{"embeds":{"0":{"title":{"_errors":[{"code":"BASE_TYPE_MAX_LENGTH","message":"Must be 256 or fewer in length."}]}}}}}`}, discord.ReasonBadRequest},
		{"missing permissions", discordtest.Reply{Status: 403, Body: `{"code":50013,"message":"Missing Permissions"}`}, discord.ReasonForbidden},
		{"too large", discordtest.Reply{Status: 413, Body: `{"code":40005,"message":"Request entity too large"}`}, discord.ReasonTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := discordtest.New(t, dlvFastLimits()...)
			srv.Script(dlvChannelPost, tc.reply)
			st, _ := dlvStore(t)
			var logs dlvLogBuffer
			d := dlvStart(t, st, dlvBot(t, srv, srv.Token(), nil), dlvOpts(logs.logger()))
			// The same file name keeps the two from being merged into one message.
			dlvEnqueue(t, d, Outbound{Kind: reportdata.EventAlert, Priority: report.PriorityAlert, Payload: dlvPayload("rejected", "x.json")})
			dlvEnqueue(t, d, Outbound{Kind: reportdata.EventAlert, Priority: report.PriorityAlert, Payload: dlvPayload("next", "x.json")})
			dlvFlush(t, d, 10*time.Second)

			if got := dlvCount(srv, dlvChannelPost, tc.reply.Status); got != 1 {
				t.Errorf("%d answers = %d, want 1 (never retried)", tc.reply.Status, got)
			}
			if got := dlvTitles(srv.Messages(discordtest.DefaultChannelID)); len(got) != 1 || got[0] != "next" {
				t.Errorf("delivered = %q, want only the next message", got)
			}
			if s := d.Stats(); s.Failed != 1 || s.Sent != 1 || s.Retries != 0 {
				t.Errorf("Stats = %+v, want 1 failed, 1 sent, 0 retries", s)
			}
			failed, err := st.Failed(context.Background(), discord.DestBot, 0)
			if err != nil || len(failed) != 1 || !strings.HasPrefix(failed[0].Reason, tc.reason+":") {
				t.Fatalf("failed messages = %+v (%v), want one with reason %s", failed, err, tc.reason)
			}
			var de struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			}
			_ = json.Unmarshal([]byte(tc.reply.Body), &de) // the table's bodies are JSON
			if !strings.Contains(failed[0].Reason, fmt.Sprint(de.Code)) || !strings.Contains(failed[0].Reason, de.Message) {
				t.Errorf("failure reason %q, want Discord's code %d and message %q", failed[0].Reason, de.Code, de.Message)
			}
			if out := logs.String(); !strings.Contains(out, "message given up") || strings.Contains(out, srv.Token()) {
				t.Errorf("logs = %s\nwant the give-up logged, without the token", out)
			}
		})
	}
}

func TestDelivery_Batching(t *testing.T) {
	t.Parallel()
	srv, _, d := dlvBotDelivery(t)
	for _, k := range []reportdata.Kind{reportdata.EventSystem, reportdata.EventNetwork, reportdata.EventMemory} {
		dlvEnqueue(t, d, Outbound{Kind: k, Priority: report.PriorityReport, Payload: dlvPayload(string(k), string(k)+".json")})
	}
	dlvEnqueue(t, d, Outbound{Kind: reportdata.EventSystem, Priority: report.PriorityReport, Payload: dlvPayload("again", string(reportdata.EventSystem)+".json")})
	d.Start(context.Background())
	t.Cleanup(func() {
		if err := d.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	dlvFlush(t, d, 10*time.Second)

	msgs := srv.Messages(discordtest.DefaultChannelID)
	if len(msgs) != 2 || len(msgs[0].Embeds) != 3 || len(msgs[0].Files) != 3 {
		t.Fatalf("messages = %d (first with %d embeds), want 2: three reports merged, then the one whose file name collides", len(msgs), len(msgs[0].Embeds))
	}
	if got := strings.Join(dlvTitles(msgs), ","); got != strings.Join([]string{string(reportdata.EventSystem), string(reportdata.EventNetwork), string(reportdata.EventMemory), "again"}, ",") {
		t.Errorf("titles = %s", got)
	}
	if s := d.Stats(); s.Sent != 4 || s.QueueDepth != 0 {
		t.Errorf("Stats = %+v, want 4 sent (rows), empty queue", s)
	}
}

func TestDelivery_BatchRejectedSendsSingly(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, dlvFastLimits()...)
	srv.Script(dlvChannelPost, discordtest.Reply{Status: 400, Body: `{"code":50035,"message":"Invalid Form Body"}`})
	st, _ := dlvStore(t)
	d, err := NewDelivery(st, dlvBot(t, srv, srv.Token(), nil), dlvOpts(nil))
	if err != nil {
		t.Fatal(err)
	}
	dlvEnqueue(t, d, Outbound{Kind: reportdata.EventSystem, Priority: report.PriorityReport, Payload: dlvPayload("a", "")})
	dlvEnqueue(t, d, Outbound{Kind: reportdata.EventNetwork, Priority: report.PriorityReport, Payload: dlvPayload("b", "")})
	d.Start(context.Background())
	t.Cleanup(func() {
		if err := d.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	dlvFlush(t, d, 10*time.Second)
	if got := strings.Join(dlvTitles(srv.Messages(discordtest.DefaultChannelID)), ","); got != "a,b" {
		t.Errorf("delivered %q, want a,b sent singly after the merged message was refused", got)
	}
	if s := d.Stats(); s.Failed != 0 || s.Sent != 2 {
		t.Errorf("Stats = %+v, want nothing failed", s)
	}
}

func TestDelivery_SupersededEditsDropped(t *testing.T) {
	t.Parallel()
	srv, _, d := dlvBotDelivery(t)
	for i := range 3 {
		dlvEnqueue(t, d, Outbound{Kind: reportdata.EventMemory, Priority: report.PriorityReport, EditKey: string(reportdata.EventMemory), Payload: dlvPayload(fmt.Sprintf("v%d", i), "m.json")})
	}
	dlvEnqueue(t, d, Outbound{Kind: reportdata.EventCommands, Priority: report.PriorityReport, Payload: dlvPayload("post", "c.json")})
	if s := d.Stats(); s.Dropped != 2 || s.QueueDepth != 2 {
		t.Fatalf("Stats = %+v, want 2 dropped (superseded), depth 2", s)
	}
	d.Start(context.Background())
	t.Cleanup(func() {
		if err := d.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	dlvFlush(t, d, 10*time.Second)
	if got := strings.Join(dlvTitles(srv.Messages(discordtest.DefaultChannelID)), ","); got != "v2,post" {
		t.Errorf("delivered %q, want v2,post", got)
	}
}

func TestDelivery_MaxDepthDropsReportsOnly(t *testing.T) {
	t.Parallel()
	st, _ := dlvStore(t)
	d, err := NewDelivery(st, &dlvNopSender{name: discord.DestBot}, DeliveryOptions{MaxDepth: 4})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		dlvEnqueue(t, d, Outbound{Kind: reportdata.EventSystem, Priority: report.PriorityReport, Payload: dlvPayload(fmt.Sprintf("r%d", i), "")})
	}
	for i := range 3 {
		dlvEnqueue(t, d, Outbound{Kind: reportdata.EventAlert, Priority: report.PriorityAlert, Payload: dlvPayload(fmt.Sprintf("a%d", i), "")})
	}
	if s := d.Stats(); s.QueueDepth != 4 || s.Dropped != 2 {
		t.Fatalf("Stats = %+v, want depth 4, 2 dropped", s)
	}
	// Reports go first; over the bound with alerts only, nothing is dropped.
	dlvEnqueue(t, d, Outbound{Kind: reportdata.EventAlert, Priority: report.PriorityAlert, Payload: dlvPayload("a3", "")})
	dlvEnqueue(t, d, Outbound{Kind: reportdata.EventAlert, Priority: report.PriorityAlert, Payload: dlvPayload("a4", "")})
	if s := d.Stats(); s.QueueDepth != 5 || s.Dropped != 3 {
		t.Errorf("Stats = %+v, want depth 5 (alerts kept over the bound), 3 dropped", s)
	}
	rows, err := st.Pending(context.Background(), discord.DestBot, 10)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, r := range rows {
		p, err := decodePayload(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, p.Embeds[0].Title)
	}
	if got := strings.Join(kinds, ","); got != "a0,a1,a2,a3,a4" {
		t.Errorf("pending = %s, want every alert", got)
	}
}

func TestDelivery_EnqueueRejectsInvalidPayload(t *testing.T) {
	t.Parallel()
	st, _ := dlvStore(t)
	d, err := NewDelivery(st, &dlvNopSender{name: discord.DestBot}, DeliveryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bad := dlvPayload(strings.Repeat("t", discordapi.MaxTitle+1), "")
	if err := d.Enqueue(context.Background(), Outbound{Kind: reportdata.EventAlert, Payload: bad}); err == nil {
		t.Error("Enqueue of a title over 256 succeeded")
	}
	noMentions := dlvPayload("x", "")
	noMentions.AllowedMentions = render.AllowedMentions{}
	if err := d.Enqueue(context.Background(), Outbound{Kind: reportdata.EventAlert, Payload: noMentions}); err == nil {
		t.Error("Enqueue without an explicit empty parse list succeeded")
	}
	if n, err := st.Depth(context.Background(), discord.DestBot); err != nil || n != 0 {
		t.Errorf("depth = %d, %v; want nothing queued", n, err)
	}
}

// dlvOffsetClock is real time plus an adjustable offset, so a test can age
// messages without waiting.
type dlvOffsetClock struct{ off atomic.Int64 }

func (c *dlvOffsetClock) now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *dlvOffsetClock) advance(d time.Duration) { c.off.Add(int64(d)) }

func TestDelivery_MaxAgeGivesUp(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, dlvFastLimits()...)
	srv.SetOutage(http.StatusServiceUnavailable)
	st, _ := dlvStore(t)
	var clock dlvOffsetClock
	opts := dlvOpts(nil)
	opts.Now, opts.MaxAge = clock.now, time.Hour
	d := dlvStart(t, st, dlvBot(t, srv, srv.Token(), nil), opts)
	dlvEnqueue(t, d, Outbound{Kind: reportdata.EventAlert, Priority: report.PriorityAlert, Payload: dlvPayload("old", "")})
	srv.WaitFor(t, 5*time.Second, func(r discordtest.Request) bool { return r.Status == http.StatusServiceUnavailable })
	clock.advance(2 * time.Hour)
	dlvFlush(t, d, 10*time.Second)
	failed, err := st.Failed(context.Background(), discord.DestBot, 0)
	if err != nil || len(failed) != 1 || !strings.HasPrefix(failed[0].Reason, discord.ReasonExpired+":") {
		t.Fatalf("failed = %+v (%v), want one expired message", failed, err)
	}
	if s := d.Stats(); s.Failed != 1 || s.Sent != 0 {
		t.Errorf("Stats = %+v, want 1 failed", s)
	}
}

func TestDelivery_BackoffBounded(t *testing.T) {
	t.Parallel()
	st, _ := dlvStore(t)
	d, err := NewDelivery(st, &dlvNopSender{name: discord.DestBot}, DeliveryOptions{BackoffBase: time.Second, BackoffMax: 8 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		n      int
		lo, hi time.Duration
	}{
		{1, time.Second, time.Second},
		{2, time.Second, 2 * time.Second},
		{3, time.Second, 4 * time.Second},
		{4, time.Second, 8 * time.Second},
		{40, time.Second, 8 * time.Second},
	}
	for _, tc := range tests {
		for range 200 {
			if got := d.backoff(tc.n); got < tc.lo || got > tc.hi {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", tc.n, got, tc.lo, tc.hi)
			}
		}
	}
}
