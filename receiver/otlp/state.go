package otlp

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"

	"github.com/nexusmon/nexusmon/internal/names"
)

// Point is the latest received point of one series, in the shape of the
// report snapshot's points. Attrs holds the point's attributes, the
// pseudo-attribute names.AttrScope (names.ScopeBot for the discord.*
// session metrics, names.ScopeReceiver for the rest) and the bot's
// resource attributes that tell whose point it is (ResourceKeys). Attrs
// and Hist are never modified once returned: share, do not change.
type Point struct {
	Name  string
	Unit  string
	Attrs map[string]string
	Start time.Time
	Time  time.Time
	Value float64 // gauges and sums; a histogram's sum
	Hist  *Histogram
}

// Histogram is an explicit-bucket histogram point.
type Histogram struct {
	Bounds   []float64 // upper bounds; len(Counts) == len(Bounds)+1
	Counts   []uint64
	Count    uint64
	Sum      float64
	Min, Max float64 // NaN when not sent
}

// ResourceKeys are the resource attributes copied onto every received
// point, so report builders can tell the bot's runtime from the agent's.
var ResourceKeys = []string{
	names.AttrServiceName, names.AttrServiceInstance, names.AttrProcessPID,
	names.AttrRuntimeName, names.AttrSDKLanguage,
}

// Bounds of one point's contents.
const (
	maxAttrs   = 16  // attributes kept per point
	maxAttrLen = 256 // bytes per attribute key or value
	maxBuckets = 200 // histogram buckets
)

// series is one (metric, resource, attributes) series: its latest point.
type series struct {
	p    Point
	seen time.Time // receiver clock at the last update
}

// state keeps the latest point of at most max series; series not updated
// for staleAfter are dropped.
type state struct {
	mu         sync.Mutex
	max        int
	staleAfter time.Duration
	m          map[string]*series
}

func newState(max int, staleAfter time.Duration) *state {
	return &state{max: max, staleAfter: staleAfter, m: make(map[string]*series)}
}

// put stores p as the latest point of its series, at now; delta sums and
// histograms add to the stored point. It returns false when p opens a new
// series and the state is full of fresh ones.
func (s *state) put(key string, p Point, delta bool, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.m[key]
	if old == nil {
		if len(s.m) >= s.max && !s.evictLocked(now) {
			return false
		}
		s.m[key] = &series{p: p, seen: now}
		return true
	}
	if delta {
		p = accumulate(old.p, p)
	}
	old.p, old.seen = p, now
	return true
}

// evictLocked drops the stale series, reporting whether any was.
func (s *state) evictLocked(now time.Time) bool {
	n := len(s.m)
	for k, sr := range s.m {
		if now.Sub(sr.seen) > s.staleAfter {
			delete(s.m, k)
		}
	}
	return len(s.m) < n
}

// points appends the fresh points to dst.
func (s *state) points(dst []Point, now time.Time) []Point {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sr := range s.m {
		if now.Sub(sr.seen) <= s.staleAfter {
			dst = append(dst, sr.p)
		}
	}
	return dst
}

func (s *state) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// accumulate adds a delta point to the previous one (a cumulative view).
func accumulate(prev, p Point) Point {
	if p.Hist == nil || prev.Hist == nil {
		if p.Hist == nil && prev.Hist == nil {
			p.Value += prev.Value
			p.Start = prev.Start
		}
		return p
	}
	if !slices.Equal(p.Hist.Bounds, prev.Hist.Bounds) {
		return p
	}
	h := *p.Hist
	h.Counts = slices.Clone(h.Counts)
	for i := range h.Counts {
		h.Counts[i] += prev.Hist.Counts[i]
	}
	h.Count += prev.Hist.Count
	h.Sum += prev.Hist.Sum
	h.Min = nanMin(h.Min, prev.Hist.Min)
	h.Max = nanMax(h.Max, prev.Hist.Max)
	p.Hist, p.Value, p.Start = &h, h.Sum, prev.Start
	return p
}

func nanMin(a, b float64) float64 {
	if math.IsNaN(a) || b < a {
		return b
	}
	return a
}

func nanMax(a, b float64) float64 {
	if math.IsNaN(a) || b > a {
		return b
	}
	return a
}

// resourceAttrs returns the ResourceKeys of res, as strings.
func resourceAttrs(res *resourcepb.Resource) map[string]string {
	out := make(map[string]string, len(ResourceKeys))
	for _, kv := range res.GetAttributes() {
		if slices.Contains(ResourceKeys, kv.GetKey()) {
			if v, ok := attrString(kv.GetValue()); ok {
				out[kv.GetKey()] = v
			}
		}
	}
	return out
}

// pointAttrs builds a point's Attrs: its own attributes (bounded), the
// scope and the resource's. ok is false when they are too many or too long.
func pointAttrs(kvs []*commonpb.KeyValue, scope string, res map[string]string) (map[string]string, bool) {
	if len(kvs) > maxAttrs {
		return nil, false
	}
	out := make(map[string]string, len(kvs)+len(res)+1)
	for _, kv := range kvs {
		v, ok := attrString(kv.GetValue())
		if !ok || len(kv.GetKey()) > maxAttrLen || len(v) > maxAttrLen {
			return nil, false
		}
		out[kv.GetKey()] = v
	}
	for k, v := range res {
		out[k] = v
	}
	out[names.AttrScope] = scope
	return out, true
}

// seriesKey identifies a series: the metric name and every attribute.
func seriesKey(name string, attrs map[string]string) string {
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString(name)
	for _, k := range keys {
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(attrs[k])
	}
	return b.String()
}

// attrString renders a scalar attribute value as the SDK adapter does.
func attrString(v *commonpb.AnyValue) (string, bool) {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue, true
	case *commonpb.AnyValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10), true
	case *commonpb.AnyValue_DoubleValue:
		return strconv.FormatFloat(x.DoubleValue, 'g', -1, 64), true
	case *commonpb.AnyValue_BoolValue:
		return strconv.FormatBool(x.BoolValue), true
	}
	return "", false
}
