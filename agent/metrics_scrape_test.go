package agent

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/nexusmon/nexusmon/internal/discordtest"
)

// scrapedMetrics is one agent's /metrics, scraped twice: the Prometheus text
// format parsed by expfmt and the OpenMetrics format as text.
type scrapedMetrics struct {
	families    map[string]*dto.MetricFamily // text format, by family name
	openMetrics string
}

// scrapeBusyAgent starts an agent with a bot session on the fake Discord, a
// probe of a loopback server, one command run and the OTLP receiver given a
// command span and a span it does not use, and scrapes /metrics once the
// command's histogram is there.
func scrapeBusyAgent(t *testing.T) scrapedMetrics {
	t.Helper()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(target.Close)
	srv := fakeDiscord(t)
	cfg := botConfig(t, srv)
	cfg.Probes.Internet = []string{target.URL}
	cfg.Probes.Interval = time.Second
	cfg.Probes.Timeout = time.Second
	cfg.Receiver.OTLP.HTTP = "127.0.0.1:0"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, _ := startAgent(t, cfg)
	postOTLP(t, a.ReceiverAddr(), "/v1/traces", &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: jsBotResource(),
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{
			jsCommandSpan("play", time.Now(), 10*time.Millisecond, "", ""),
			{Name: "GET /users", Kind: tracepb.Span_SPAN_KIND_CLIENT},
		}}},
	}}})
	waitFor(t, 20*time.Second, "command registration", func() bool { return len(srv.RegisteredCommands(discordtest.DefaultGuildID)) == 1 })
	id, _ := srv.InjectInteraction(discordtest.Interaction{GuildID: discordtest.DefaultGuildID, ChannelID: discordtest.DefaultChannelID,
		UserID: "1000000000000000001", Permissions: discordgo.PermissionAdministrator, Command: "nexus", Subcommand: "status"})
	waitFor(t, 30*time.Second, "the command's response", func() bool { return len(srv.InteractionResponses(id)) > 0 })

	url := "http://" + a.HTTPAddr() + "/metrics"
	var m scrapedMetrics
	var missing []string
	t.Cleanup(func() {
		if len(missing) > 0 {
			t.Logf("missing on /metrics: %v", missing)
		}
	})
	waitFor(t, 30*time.Second, "command, probe, session and delivery metrics on /metrics", func() bool {
		text := scrape(t, url, "text/plain;version=0.0.4")
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(strings.NewReader(text))
		if err != nil {
			t.Fatalf("parse the text format: %v\n%s", err, text)
		}
		m.families = fams
		missing = nil
		for _, want := range []string{"discord_command_duration_seconds", "nexusmon_probe_up_ratio", "discord_gateway_connected_ratio", "nexusmon_messages_sent_total", "nexusmon_receiver_dropped_total"} {
			if fams[want] == nil {
				missing = append(missing, want)
			}
		}
		return len(missing) == 0
	})
	m.openMetrics = scrape(t, url, "application/openmetrics-text;version=1.0.0")
	return m
}

// scrape GETs url with the Accept header accept ("" sends none).
func scrape(t *testing.T, url, accept string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close() // best effort
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAgent_metricsEndpoint(t *testing.T) {
	m := scrapeBusyAgent(t)

	t.Run("one scope per family", func(t *testing.T) {
		for _, err := range familiesInTwoScopes(m.families) {
			t.Error(err)
		}
	})
	t.Run("text HELP and TYPE", func(t *testing.T) {
		for name, f := range m.families {
			if f.GetHelp() == "" {
				t.Errorf("%s has no HELP", name)
			}
			if name != "target_info" && f.GetType() == dto.MetricType_UNTYPED {
				t.Errorf("%s has no TYPE", name)
			}
		}
	})
	t.Run("OpenMetrics HELP, TYPE, UNIT and exemplars", func(t *testing.T) {
		om, err := parseOpenMetrics(m.openMetrics)
		if err != nil {
			t.Fatal(err)
		}
		for name, f := range om.families {
			if !f.help || !f.typ {
				t.Errorf("%s: HELP %v, TYPE %v", name, f.help, f.typ)
			}
			// The OTel Prometheus exporter (v0.69) writes no # UNIT lines
			// yet ("once unit comments are supported"); one it writes must
			// agree with the unit suffix of the name.
			if u := unitSuffix(name); f.unit != "" && f.unit != u {
				t.Errorf("%s: UNIT %q, want %q", name, f.unit, u)
			}
		}
		if om.exemplars["discord_command_duration_seconds"] == 0 {
			t.Error("discord_command_duration_seconds has no exemplar: commands are recorded in their span's context")
		}
	})
}

// familiesInTwoScopes names every family with points from more than one
// instrumentation scope (the otel_scope_name label).
func familiesInTwoScopes(fams map[string]*dto.MetricFamily) []error {
	var errs []error
	for name, f := range fams {
		scopes := map[string]bool{}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "otel_scope_name" {
					scopes[l.GetValue()] = true
				}
			}
		}
		if len(scopes) > 1 {
			list := make([]string, 0, len(scopes))
			for s := range scopes {
				list = append(list, s)
			}
			sort.Strings(list)
			errs = append(errs, fmt.Errorf("%s is emitted by %d scopes: %s", name, len(list), strings.Join(list, ", ")))
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errs
}

func TestFamiliesInTwoScopes(t *testing.T) {
	text := `# HELP a_total a.
# TYPE a_total counter
a_total{otel_scope_name="x"} 1
a_total{otel_scope_name="y"} 2
# HELP b b.
# TYPE b gauge
b{otel_scope_name="x",k="1"} 1
b{otel_scope_name="x",k="2"} 1
`
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	errs := familiesInTwoScopes(fams)
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "a_total ") {
		t.Errorf("familiesInTwoScopes = %v, want a_total only", errs)
	}
}

// unitSuffix is the OpenMetrics unit a family name ends in, "" for none.
func unitSuffix(family string) string {
	for _, u := range []string{"bytes", "seconds", "hertz", "percent", "ratio"} {
		if strings.HasSuffix(family, "_"+u) {
			return u
		}
	}
	return ""
}

type omFamily struct {
	help, typ bool
	unit      string
}

type openMetrics struct {
	families  map[string]*omFamily
	exemplars map[string]int // by family
}

var (
	omLabels   = `\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*)?\}`
	omSample   = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(` + omLabels + `)? (\S+)( \S+)?$`)
	omExemplar = regexp.MustCompile(`^(` + omLabels + `) (\S+)( \S+)?$`)
)

// parseOpenMetrics checks the OpenMetrics 1.0 text format line by line:
// metadata comes before a family's samples, every sample belongs to a
// declared family, values and timestamps are numbers, exemplars have
// labels, a value and an optional timestamp, and the text ends in # EOF.
func parseOpenMetrics(text string) (openMetrics, error) {
	om := openMetrics{families: map[string]*omFamily{}, exemplars: map[string]int{}}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	eof := false
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if eof {
			return om, fmt.Errorf("line %d after # EOF", n)
		}
		if line == "# EOF" {
			eof = true
			continue
		}
		if strings.HasPrefix(line, "# ") {
			f := strings.SplitN(line, " ", 4)
			if len(f) < 4 {
				return om, fmt.Errorf("line %d: bad metadata %q", n, line)
			}
			fam := om.families[f[2]]
			if fam == nil {
				fam = &omFamily{}
				om.families[f[2]] = fam
			}
			switch f[1] {
			case "HELP":
				fam.help = true
			case "TYPE":
				fam.typ = true
			case "UNIT":
				fam.unit = f[3]
			default:
				return om, fmt.Errorf("line %d: unknown metadata %q", n, line)
			}
			continue
		}
		sample, exemplar, hasExemplar := strings.Cut(line, " # ")
		mm := omSample.FindStringSubmatch(sample)
		if mm == nil {
			return om, fmt.Errorf("line %d: bad sample %q", n, line)
		}
		if _, err := strconv.ParseFloat(mm[3], 64); err != nil {
			return om, fmt.Errorf("line %d: value: %w", n, err)
		}
		family := sampleFamily(om.families, mm[1])
		if family == "" {
			return om, fmt.Errorf("line %d: sample %s of no declared family", n, mm[1])
		}
		if hasExemplar {
			em := omExemplar.FindStringSubmatch(exemplar)
			if em == nil {
				return om, fmt.Errorf("line %d: bad exemplar %q", n, exemplar)
			}
			if _, err := strconv.ParseFloat(em[2], 64); err != nil {
				return om, fmt.Errorf("line %d: exemplar value: %w", n, err)
			}
			if em[3] != "" {
				if _, err := strconv.ParseFloat(strings.TrimSpace(em[3]), 64); err != nil {
					return om, fmt.Errorf("line %d: exemplar timestamp: %w", n, err)
				}
			}
			om.exemplars[family]++
		}
	}
	if err := sc.Err(); err != nil {
		return om, err
	}
	if !eof {
		return om, fmt.Errorf("no # EOF")
	}
	return om, nil
}

// sampleFamily is the declared family a sample name belongs to.
func sampleFamily(fams map[string]*omFamily, sample string) string {
	if fams[sample] != nil {
		return sample
	}
	for _, suf := range []string{"_total", "_created", "_bucket", "_sum", "_count", "_info"} {
		if base, ok := strings.CutSuffix(sample, suf); ok && fams[base] != nil {
			return base
		}
	}
	return ""
}

func TestParseOpenMetrics(t *testing.T) {
	good := `# HELP h_seconds h.
# TYPE h_seconds histogram
# UNIT h_seconds seconds
h_seconds_bucket{le="1"} 1 # {trace_id="ab",span_id="cd"} 0.5 1.7e9
h_seconds_bucket{le="+Inf"} 1
h_seconds_count 1
# EOF
`
	om, err := parseOpenMetrics(good)
	if err != nil || om.exemplars["h_seconds"] != 1 || om.families["h_seconds"].unit != "seconds" {
		t.Fatalf("parseOpenMetrics(good) = %+v, %v", om, err)
	}
	for name, bad := range map[string]string{
		"exemplar without value": "# TYPE x counter\nx_total 1 # {a=\"b\"}\n# EOF\n",
		"exemplar bad labels":    "# TYPE x counter\nx_total 1 # {a=b} 1\n# EOF\n",
		"undeclared family":      "y 1\n# EOF\n",
		"no EOF":                 "# TYPE x counter\nx_total 1\n",
		"bad value":              "# TYPE x gauge\nx one\n# EOF\n",
	} {
		if _, err := parseOpenMetrics(bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
