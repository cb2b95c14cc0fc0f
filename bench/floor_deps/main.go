// Command floor-deps is the floor of nexusmon's chosen dependencies for one
// system report: the least a program can spend doing a report's work with the
// same libraries, and nothing of nexusmon's own. Once per interval it
//
//   - reads and parses the 7 /proc files floor-go reads;
//   - observes the parsed values through the OpenTelemetry metric SDK, as
//     many points as nexusmon's /metrics shows on the machine (the CPU times
//     per CPU and mode, four counters per interface and direction, and the
//     process, runtime, load, memory, disk and self metrics, 79 more points
//     on any machine), with precomputed attribute sets from one callback (as
//     nexusmon's collectors do), and collects them with a ManualReader into
//     a reused ResourceMetrics;
//   - encodes a report-like object with encoding/json (45 named figures,
//     about 1.8 KB; a nexusmon system report is about 1.75 KB) into a reused
//     buffer and appends it to a file;
//   - every 5 collections commits the kept reports and 7 samples per report
//     to SQLite (modernc.org/sqlite with the store's journal, synchronous,
//     locking and cache settings, its tables and its inserts), with prepared
//     statements.
//
// It initialises the packages it imports and no others: no Discord client,
// no HTTP, no chart, no configuration. Used by peers.sh, which builds it into
// a temp dir; never committed as a binary.
//
// usage: floor-deps INTERVAL_MS MAX_ITERATIONS DIR [PARTS] (stops after
// MAX_ITERATIONS or on SIGTERM); PARTS, a comma-separated subset of
// "sdk,json,sqlite" (default all three), says which work besides the /proc
// reads each collection does, to tell what each library costs. Prints
// "values=N points=P" once to stdout.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	_ "modernc.org/sqlite"
)

var files = []string{
	"/proc/stat", "/proc/meminfo", "/proc/loadavg", "/proc/diskstats",
	"/proc/net/dev", "/proc/self/stat", "/proc/self/status",
}

// otherPoints is the number of points nexusmon's system collection has
// besides the per-CPU and per-interface ones (its /metrics on a 2-CPU machine
// with 4 interfaces: 125 points, 14 of them CPU times and 32 network ones).
const otherPoints = 79

var (
	buf    = make([]byte, 1<<16)
	values []uint64 // every number parsed in one collection, in file order
)

// readParse reads one file and appends every decimal number in it to values:
// floor_go/main.go's reads and parse, copied on purpose so that floor-go stays
// a standard-library program built outside the module, and the two rows differ
// only by the libraries.
func readParse(path string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	n := 0
	for n < len(buf) {
		m, err := f.Read(buf[n:])
		n += m
		if err != nil || m == 0 {
			break
		}
	}
	f.Close()
	var v uint64
	inNum := false
	for _, c := range buf[:n] {
		if c >= '0' && c <= '9' {
			v = v*10 + uint64(c-'0')
			inNum = true
		} else if inNum {
			values = append(values, v)
			v, inNum = 0, false
		}
	}
	if inNum {
		values = append(values, v)
	}
}

// shape counts the CPUs in /proc/stat and the interfaces in /proc/net/dev.
func shape() (cpus, ifaces int) {
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if len(l) > 3 && strings.HasPrefix(l, "cpu") && l[3] >= '0' && l[3] <= '9' {
				cpus++
			}
		}
	}
	if b, err := os.ReadFile("/proc/net/dev"); err == nil {
		ifaces = strings.Count(string(b), ":")
	}
	return cpus, ifaces
}

// series is one point: its instrument and its attributes.
type series struct {
	counter metric.Float64Observable
	gauge   metric.Int64Observable
	opt     metric.ObserveOption
}

func instruments(m metric.Meter, cpus, ifaces int) ([]series, []metric.Observable, error) {
	var out []series
	var obs []metric.Observable
	counter := func(name string) (metric.Float64ObservableCounter, error) {
		c, err := m.Float64ObservableCounter(name)
		if err == nil {
			obs = append(obs, c)
		}
		return c, err
	}
	cpu, err := counter("system.cpu.time")
	if err != nil {
		return nil, nil, err
	}
	for i := range cpus {
		for _, mode := range []string{"user", "nice", "system", "idle", "iowait", "interrupt", "steal"} {
			set := attribute.NewSet(attribute.Int("cpu.logical_number", i), attribute.String("cpu.mode", mode))
			out = append(out, series{counter: cpu, opt: metric.WithAttributeSet(set)})
		}
	}
	for _, name := range []string{"system.network.io", "system.network.packet.count", "system.network.errors", "system.network.packet.dropped"} {
		c, err := counter(name)
		if err != nil {
			return nil, nil, err
		}
		for i := range ifaces {
			for _, dir := range []string{"receive", "transmit"} {
				set := attribute.NewSet(attribute.String("network.interface.name", "if"+strconv.Itoa(i)), attribute.String("network.io.direction", dir))
				out = append(out, series{counter: c, opt: metric.WithAttributeSet(set)})
			}
		}
	}
	for i := range otherPoints {
		g, err := m.Int64ObservableGauge("floor.gauge." + strconv.Itoa(i/2))
		if err != nil {
			return nil, nil, err
		}
		if i%2 == 0 {
			obs = append(obs, g)
		}
		set := attribute.NewSet(attribute.String("state", strconv.Itoa(i%2)))
		out = append(out, series{gauge: g, opt: metric.WithAttributeSet(set)})
	}
	return out, obs, nil
}

// report is a system report's size and shape: a few strings and the
// named figures a report shows.
type report struct {
	Event   string    `json:"event"`
	Time    time.Time `json:"time"`
	Host    string    `json:"host"`
	Health  string    `json:"health"`
	Figures []figure  `json:"figures"`
}

type figure struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// figures is how many figures a report holds, and samples how many of them
// are stored as samples.
const (
	figures = 45
	samples = 7
)

type floor struct {
	sdk, json, sqlite bool // the parts each collection does

	series  []series
	rm      metricdata.ResourceMetrics
	reader  *sdkmetric.ManualReader
	rep     report
	enc     *json.Encoder
	out     bytes.Buffer
	events  *os.File
	db      *sql.DB
	insRep  *sql.Stmt
	insSmp  *sql.Stmt
	pending []pending // kept until the fifth
}

// pending is a report kept for the next commit: its JSON and its samples.
type pending struct {
	at      int64
	data    []byte
	samples [samples]float64
}

func (f *floor) collect(ctx context.Context) error {
	values = values[:0]
	for _, p := range files {
		readParse(p)
	}
	if len(values) == 0 {
		return fmt.Errorf("no number read from %s", strings.Join(files, ", "))
	}
	if f.sdk {
		if err := f.reader.Collect(ctx, &f.rm); err != nil {
			return err
		}
	}
	if !f.json {
		return nil
	}
	now := time.Now()
	f.rep.Time = now
	for i := range f.rep.Figures {
		f.rep.Figures[i].Value = float64(values[i%len(values)]) / 7
	}
	f.out.Reset()
	if err := f.enc.Encode(&f.rep); err != nil {
		return err
	}
	if _, err := f.events.Write(f.out.Bytes()); err != nil {
		return err
	}
	if !f.sqlite {
		return nil
	}
	p := pending{at: now.UnixMilli(), data: append([]byte(nil), f.out.Bytes()...)}
	for i := range p.samples {
		p.samples[i] = f.rep.Figures[i].Value
	}
	f.pending = append(f.pending, p)
	if len(f.pending) < 5 {
		return nil
	}
	tx, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	insRep, insSmp := tx.StmtContext(ctx, f.insRep), tx.StmtContext(ctx, f.insSmp)
	for _, p := range f.pending {
		if _, err := insRep.ExecContext(ctx, "system", p.at, p.data); err != nil {
			return err
		}
		for i, v := range p.samples {
			if _, err := insSmp.ExecContext(ctx, f.rep.Figures[i].Name, p.at, v); err != nil {
				return err
			}
		}
	}
	f.pending = f.pending[:0]
	return tx.Commit()
}

// close closes the events file and the database.
func (f *floor) close() error {
	return errors.Join(f.events.Close(), f.db.Close())
}

func open(ctx context.Context, dir, parts string) (*floor, error) {
	f := &floor{reader: sdkmetric.NewManualReader()}
	for _, p := range strings.Split(parts, ",") {
		switch p {
		case "sdk":
			f.sdk = true
		case "json":
			f.json = true
		case "sqlite":
			f.json, f.sqlite = true, true // the reports stored are the JSON ones
		case "":
		default:
			return nil, fmt.Errorf("unknown part %q (sdk, json, sqlite)", p)
		}
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(f.reader))
	cpus, ifaces := shape()
	var obs []metric.Observable
	var err error
	meter := mp.Meter("floor-deps")
	f.series, obs, err = instruments(meter, cpus, ifaces)
	if err != nil {
		return nil, err
	}
	_, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for i, s := range f.series {
			v := values[i%len(values)]
			if s.counter != nil {
				o.ObserveFloat64(s.counter, float64(v)/100, s.opt)
			} else {
				o.ObserveInt64(s.gauge, int64(v), s.opt)
			}
		}
		return nil
	}, obs...)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	f.rep = report{Event: "detailed_system_monitoring", Host: host, Health: "Excellent", Figures: make([]figure, figures)}
	for i := range f.rep.Figures {
		f.rep.Figures[i].Name = "figure_" + strconv.Itoa(i)
	}
	f.enc = json.NewEncoder(&f.out)
	if f.events, err = os.OpenFile(filepath.Join(dir, "floor-deps.jsonl"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
		return nil, err
	}
	dsn := filepath.Join(dir, "floor-deps.db") + "?_synchronous=NORMAL&_txlock=immediate&_pragma=locking_mode(EXCLUSIVE)&_pragma=main.cache_size(-512)"
	if f.db, err = sql.Open("sqlite", dsn); err != nil {
		return nil, err
	}
	f.db.SetMaxOpenConns(1)
	for _, q := range []string{
		"PRAGMA journal_mode=WAL",
		"CREATE TABLE IF NOT EXISTS reports (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, at INTEGER NOT NULL, data BLOB NOT NULL)",
		"CREATE INDEX IF NOT EXISTS reports_kind_at ON reports (kind, at)",
		"CREATE INDEX IF NOT EXISTS reports_at ON reports (at)",
		"CREATE TABLE IF NOT EXISTS samples (at INTEGER NOT NULL, series TEXT NOT NULL, value REAL NOT NULL, PRIMARY KEY (at, series)) WITHOUT ROWID",
	} {
		if _, err := f.db.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	if f.insRep, err = f.db.PrepareContext(ctx, "INSERT INTO reports (kind, at, data) VALUES (?, ?, ?)"); err != nil {
		return nil, err
	}
	if f.insSmp, err = f.db.PrepareContext(ctx, "INSERT OR REPLACE INTO samples (series, at, value) VALUES (?, ?, ?)"); err != nil {
		return nil, err
	}
	values = make([]uint64, 0, 4096)
	for _, p := range files {
		readParse(p)
	}
	if len(values) == 0 {
		return nil, fmt.Errorf("no number read from %s", strings.Join(files, ", "))
	}
	return f, nil
}

func main() {
	intervalMS, maxIter, dir, parts := 1000, 120, os.TempDir(), "sdk,json,sqlite"
	if len(os.Args) > 1 {
		if v, err := strconv.Atoi(os.Args[1]); err == nil && v > 0 {
			intervalMS = v
		}
	}
	if len(os.Args) > 2 {
		if v, err := strconv.Atoi(os.Args[2]); err == nil {
			maxIter = v
		}
	}
	if len(os.Args) > 3 {
		dir = os.Args[3]
	}
	if len(os.Args) > 4 {
		parts = os.Args[4]
	}
	ctx := context.Background()
	f, err := open(ctx, dir, parts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor-deps:", err)
		os.Exit(1)
	}
	defer f.close()
	fmt.Printf("values=%d points=%d\n", len(values), len(f.series))
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	tick := time.NewTicker(time.Duration(intervalMS) * time.Millisecond)
	defer tick.Stop()
	for range maxIter {
		if err := f.collect(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "floor-deps:", err)
			os.Exit(1)
		}
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}
