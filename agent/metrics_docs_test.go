package agent

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// docMetric is one row of a table in docs/metrics.md.
type docMetric struct {
	name, kind, unit string
}

// readMetricsDoc returns every metric row of docs/metrics.md: a table row
// whose first cell is one backticked name and whose second is an OTel
// instrument kind.
func readMetricsDoc(t *testing.T) []docMetric {
	t.Helper()
	b, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []docMetric
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			t.Fatalf("short metrics row %q", line)
		}
		name := strings.TrimSpace(cells[1])
		if strings.Count(name, "`") != 2 || !strings.HasSuffix(name, "`") {
			t.Errorf("first cell %q of a metrics row is not one backticked name", name)
			continue
		}
		out = append(out, docMetric{name: strings.Trim(name, "`"), kind: strings.TrimSpace(cells[2]), unit: strings.TrimSpace(cells[3])})
	}
	return out
}

// promFamily is the family name the OTel Prometheus exporter gives a
// metric in the text format, and the Prometheus type of its kind.
func promFamily(m docMetric) (string, dto.MetricType, error) {
	var typ dto.MetricType
	switch m.kind {
	case "Counter":
		typ = dto.MetricType_COUNTER
	case "UpDownCounter", "Gauge":
		typ = dto.MetricType_GAUGE
	case "Histogram":
		typ = dto.MetricType_HISTOGRAM
	default:
		return "", typ, fmt.Errorf("%s: kind %q is not an OTel instrument kind (Counter, UpDownCounter, Gauge, Histogram)", m.name, m.kind)
	}
	name := strings.NewReplacer(".", "_").Replace(m.name)
	switch {
	case m.unit == "" || strings.HasPrefix(m.unit, "{"):
	case m.unit == "By":
		name += "_bytes"
	case m.unit == "s":
		name += "_seconds"
	case m.unit == "Hz":
		name += "_hertz"
	case m.unit == "%":
		name += "_percent"
	case m.unit == "1" && typ == dto.MetricType_GAUGE:
		name += "_ratio"
	default:
		return "", typ, fmt.Errorf("%s: unit %q not mapped", m.name, m.unit)
	}
	if typ == dto.MetricType_COUNTER {
		name += "_total"
	}
	return name, typ, nil
}

// notEmittedByTheBusyAgent are documented metrics that scrapeBusyAgent's
// agent does not emit, or not on every machine, and why. Every other
// documented metric must be on its /metrics.
var notEmittedByTheBusyAgent = map[string]string{
	"system.cpu.frequency":              "the kernel may expose no CPU frequency",
	"system.disk.io":                    "a container may see no block device",
	"system.disk.operations":            "a container may see no block device",
	"go.memory.limit":                   "only with GOMEMLIMIT set",
	"discord.gateway.disconnects":       "the fake gateway never closes the connection",
	"discord.rest.rate_limits":          "no 429 from the fake Discord",
	"discord.command.late_responses":    "the command answers within 3 s",
	"nexusmon.probe.errors":             "the probed loopback server answers",
	"nexusmon.messages.failed":          "every message is accepted",
	"nexusmon.messages.dropped":         "no edit is superseded, the queue is not full",
	"nexusmon.messages.rate_limited":    "no 429 from the fake Discord",
	"nexusmon.messages.retries":         "no delivery fails",
	"nexusmon.messages.not_durable":     "the store writes",
	"nexusmon.messages.memory_dropped":  "the store writes",
	"nexusmon.export.errors":            "OTLP export is off",
	"nexusmon.receiver.forward.dropped": "OTLP export is off: nothing is forwarded",
}

// TestAgent_metricsDoc checks docs/metrics.md against a running agent's
// /metrics: every emitted family is documented with its kind and unit, and
// every documented metric is emitted (or listed above with the reason).
func TestAgent_metricsDoc(t *testing.T) {
	doc := readMetricsDoc(t)
	m := scrapeBusyAgent(t)
	documented := map[string]bool{}
	for _, d := range doc {
		fam, typ, err := promFamily(d)
		if err != nil {
			t.Error(err)
			continue
		}
		documented[fam] = true
		f := m.families[fam]
		_, conditional := notEmittedByTheBusyAgent[d.name]
		switch {
		case f == nil && !conditional:
			t.Errorf("%s is documented (as %s) but not emitted", d.name, fam)
		case f != nil && f.GetType() != typ:
			t.Errorf("%s is documented as %s but /metrics types %s as %s", d.name, d.kind, fam, f.GetType())
		}
	}
	var undocumented []string
	for fam := range m.families {
		if fam != "target_info" && !documented[fam] {
			undocumented = append(undocumented, fam)
		}
	}
	sort.Strings(undocumented)
	for _, fam := range undocumented {
		t.Errorf("%s is emitted but not documented in docs/metrics.md", fam)
	}
}
