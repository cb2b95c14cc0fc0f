package deliver

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/deliver/discord"
	"github.com/nexusmon/nexusmon/internal/discordtest"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// BenchmarkOutboxPersistDequeue measures one rendered report's way through
// the outbox without the network: Delivery.Enqueue (limit check, encoding,
// persist, depth bound), then Head and Ack as the loop does.
func BenchmarkOutboxPersistDequeue(b *testing.B) {
	ctx := context.Background()
	st, _ := dlvStore(b)
	d, err := NewDelivery(st, &dlvNopSender{name: discord.DestBot}, DeliveryOptions{})
	if err != nil {
		b.Fatal(err)
	}
	p, err := render.Render(dlvReport("Benchmark", time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)))
	if err != nil {
		b.Fatal(err)
	}
	m := Outbound{Kind: reportdata.EventSystem, Priority: report.PriorityReport, Payload: p}
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Enqueue(ctx, m); err != nil {
			b.Fatal(err)
		}
		h, ok, err := st.Head(ctx, discord.DestBot)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
		if err := st.Ack(ctx, h.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDrain measures how fast a backlog drains into the fake Discord
// through discordgo with rate limits out of the way, reported as msgs/s:
// "unbatched" makes one request per message (no two can merge), "batched"
// lets up to ten consecutive posts share one.
func BenchmarkDrain(b *testing.B) {
	for _, bc := range []struct {
		name string
		file func(i int) string
	}{
		{"unbatched", func(int) string { return "same.json" }},
		{"batched", func(i int) string { return fmt.Sprintf("f%d.json", i) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := discordtest.New(b, discordtest.WithLimit(dlvChannelPost, discordtest.RouteLimit{Limit: 1 << 30, Window: time.Hour}))
			st, _ := dlvStore(b)
			opts := dlvOpts(nil)
			opts.MaxDepth = b.N + 1 // keep the whole backlog
			d, err := NewDelivery(st, dlvBot(b, srv, srv.Token(), nil), opts)
			if err != nil {
				b.Fatal(err)
			}
			for i := range b.N {
				dlvEnqueue(b, d, Outbound{Kind: reportdata.EventCommands, Priority: report.PriorityReport, Payload: dlvPayload(fmt.Sprint(i), bc.file(i))})
			}
			b.ResetTimer()
			start := time.Now()
			d.Start(context.Background())
			dlvFlush(b, d, 5*time.Minute)
			elapsed := time.Since(start)
			b.StopTimer()
			if err := d.Stop(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
			b.ReportMetric(float64(len(srv.Requests()))/float64(b.N), "requests/msg")
		})
	}
}
