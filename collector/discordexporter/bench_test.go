package discordexporter

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/collector/discordexporter/internal/fleet"
	"github.com/nexusmon/nexusmon/render"
)

// BenchmarkExport100 is the gateway's work for one export interval of 100
// instances (each sends one export): adapt the pdata, run every instance's
// Reporter (figures and alerts). Building the export is not timed.
// go test -run '^$' -bench . -benchmem ./collector/discordexporter
func BenchmarkExport100(b *testing.B) {
	clock := &fakeClock{t: t0}
	cfg := botConfig()
	o, err := openOutbox(context.Background(), newMemClient(), clock.Now)
	if err != nil {
		b.Fatal(err)
	}
	f, err := fleet.New(context.Background(), cfg.fleetConfig(), &recQueue{o: o}, o, clock.Now, slogOf(nil))
	if err != nil {
		b.Fatal(err)
	}
	shards := make([]*shard, 100)
	for i := range shards {
		shards[i] = newShard(fmt.Sprint(i), fmt.Sprintf("host-%d", i%10), float64(i%60))
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer() // the export itself is the receiver's work
		clock.Set(clock.Now().Add(10 * time.Second))
		es := make([]agentExport, len(shards))
		for i, s := range shards {
			es[i] = s.step()
			es[i].At = clock.Now()
		}
		md := metrics(es...)
		b.StartTimer()
		if err := f.Observe(context.Background(), fromPdata(md, cfg.GroupBy)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOverview1000 builds and renders the overview of 1,000 instances.
func BenchmarkOverview1000(b *testing.B) {
	rows := make([]fleet.Row, 1000)
	for i := range rows {
		cpu := float64(i % 100)
		rows[i] = fleet.Row{Group: "bot", Instance: fmt.Sprintf("shard %d · host-%d", i, i%10), Status: fleet.StatusOK, CPUPercent: &cpu, Level: "Good"}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := render.Render(fleet.OverviewReport("bot", rows, t0)); err != nil {
			b.Fatal(err)
		}
	}
}
