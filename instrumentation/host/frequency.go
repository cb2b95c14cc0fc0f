package host

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/nexusmon/nexusmon/internal/names"
)

// frequencyTTL bounds how often frequencies are re-read: /proc/cpuinfo is
// the most expensive file a collection would otherwise read. Between
// reads the cached values (and the cached success) are observed.
const frequencyTTL = 30 * time.Second

// frequencySource observes each logical CPU's current frequency
// (nexusmon.collector="host.frequency"): cpufreq's scaling_cur_freq where
// the kernel exposes it, else the "cpu MHz" line of /proc/cpuinfo. It does
// not use gopsutil's cpu.Info, which reports the maximum frequency
// whenever cpufreq exists.
type frequencySource struct {
	freq metric.Int64ObservableGauge

	readAt time.Time
	hz     []coreHz
	err    error
}

type coreHz struct {
	core int
	hz   int64
	opt  metric.ObserveOption
}

func newFrequencySource(m metric.Meter) (source, error) {
	s := &frequencySource{}
	var err error
	if s.freq, err = m.Int64ObservableGauge(names.SystemCPUFrequency, metric.WithUnit("Hz"),
		metric.WithDescription("Current frequency of each logical CPU.")); err != nil {
		return nil, fmt.Errorf("create %s: %w", names.SystemCPUFrequency, err)
	}
	return s, nil
}

func (s *frequencySource) name() string { return "host.frequency" }

func (s *frequencySource) instruments() []metric.Observable { return []metric.Observable{s.freq} }

func (s *frequencySource) collect(c *collection, o metric.Observer) error {
	if s.readAt.IsZero() || c.now.Sub(s.readAt) >= frequencyTTL {
		s.refresh(c)
	}
	for _, f := range s.hz {
		o.ObserveInt64(s.freq, f.hz, f.opt)
	}
	return s.err
}

func (s *frequencySource) refresh(c *collection) {
	s.readAt = c.now
	b, err := c.r.readProc("cpuinfo")
	if err != nil {
		s.hz, s.err = nil, fmt.Errorf("read cpuinfo: %w", err)
		return
	}
	cores := parseCPUInfoMHz(string(b))
	if len(cores) == 0 {
		s.hz, s.err = nil, errors.New("cpuinfo: no processor entries")
		return
	}
	hz := s.hz[:0]
	for _, cm := range cores {
		v := int64(-1)
		if khz, err := c.r.readSys(fmt.Sprintf("devices/system/cpu/cpu%d/cpufreq/scaling_cur_freq", cm.core)); err == nil {
			if k, ok := parseKHz(string(khz)); ok {
				v = k * 1000
			}
		}
		if v < 0 && cm.mhz > 0 {
			v = int64(math.Round(cm.mhz * 1e6))
		}
		if v < 0 {
			continue
		}
		hz = append(hz, coreHz{core: cm.core, hz: v,
			opt: metric.WithAttributeSet(attribute.NewSet(attribute.Int(names.AttrCPULogical, cm.core)))})
	}
	s.hz, s.err = hz, nil
	if len(hz) == 0 {
		s.err = errors.New("no cpu frequency: neither cpufreq nor \"cpu MHz\" in cpuinfo")
	}
}

// coreMHz is one processor entry of /proc/cpuinfo; mhz is 0 when the entry
// has no "cpu MHz" line (most ARM kernels).
type coreMHz struct {
	core int
	mhz  float64
}

// parseCPUInfoMHz returns the processor numbers of /proc/cpuinfo with
// their "cpu MHz" values, in file order.
func parseCPUInfoMHz(cpuinfo string) []coreMHz {
	var out []coreMHz
	for line := range strings.SplitSeq(cpuinfo, "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch key {
		case "processor":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				continue
			}
			out = append(out, coreMHz{core: n})
		case "cpu MHz":
			f, err := strconv.ParseFloat(val, 64)
			if err != nil || f <= 0 || len(out) == 0 || math.IsInf(f, 0) || math.IsNaN(f) {
				continue
			}
			out[len(out)-1].mhz = f
		}
	}
	return out
}

// parseKHz parses a cpufreq file (kHz, one integer).
func parseKHz(s string) (int64, bool) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || v <= 0 || v > math.MaxInt64/1000 {
		return 0, false
	}
	return v, true
}
