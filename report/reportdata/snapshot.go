package reportdata

import (
	"math"
	"sort"
	"time"
)

// Snapshot is one collection, reduced to what report building needs: metric
// name → points with string attributes. It is independent of the OTel SDK so
// that a second adapter (from the Collector's pdata) can feed the same report
// builders. Every point carries the pseudo-attribute names.AttrScope.
//
// A Snapshot is immutable once built and safe for concurrent reads.
type Snapshot struct {
	Time     time.Time
	Resource map[string]string
	metrics  map[string]*Metric
	spare    []Metric // room for new metrics' records (NewSnapshotSize)
}

// Metric is one named metric with all its points (across scopes).
type Metric struct {
	Name   string
	Unit   string
	Points []Point
}

// Point is one data point. For sums and gauges Value holds the value; for
// histograms Hist is set and Value is the histogram's sum.
type Point struct {
	Attrs map[string]string
	Start time.Time
	Time  time.Time
	Value float64
	Hist  *Histogram
}

// Histogram is an explicit-bucket histogram point.
type Histogram struct {
	Bounds    []float64 // upper bounds; len(Counts) == len(Bounds)+1
	Counts    []uint64
	Count     uint64
	Sum       float64
	Min, Max  float64 // NaN when not recorded
	Exemplars []Exemplar
}

// Exemplar links a histogram measurement to a trace.
type Exemplar struct {
	TraceID string
	SpanID  string
	Value   float64
	Time    time.Time
}

// NewSnapshot returns an empty snapshot taken at t.
func NewSnapshot(t time.Time, resource map[string]string) *Snapshot {
	if resource == nil {
		resource = map[string]string{}
	}
	return &Snapshot{Time: t, Resource: resource, metrics: map[string]*Metric{}}
}

// NewSnapshotSize is NewSnapshot for an adapter that knows how many
// metrics it adds: their map is made for that many, and their records
// share one array, where each was an allocation of its own.
func NewSnapshotSize(t time.Time, resource map[string]string, metrics int) *Snapshot {
	if resource == nil {
		resource = map[string]string{}
	}
	return &Snapshot{Time: t, Resource: resource, metrics: make(map[string]*Metric, metrics), spare: make([]Metric, 0, metrics)}
}

// newMetric adds the record of a metric s does not have yet.
func (s *Snapshot) newMetric(name, unit string, pts []Point) {
	if len(s.spare) < cap(s.spare) { // appending in place: earlier records stay where they are
		s.spare = append(s.spare, Metric{Name: name, Unit: unit, Points: pts})
		s.metrics[name] = &s.spare[len(s.spare)-1]
		return
	}
	s.metrics[name] = &Metric{Name: name, Unit: unit, Points: pts}
}

// Add appends points to the named metric. It is for adapters and tests,
// before the snapshot is shared.
func (s *Snapshot) Add(name, unit string, pts ...Point) {
	m := s.metrics[name]
	if m == nil {
		s.newMetric(name, unit, append([]Point(nil), pts...))
		return
	}
	m.Points = append(m.Points, pts...)
}

// AddOwned is Add taking pts itself, not a copy, when name has no points
// yet: the caller must not use pts afterwards. A converter that builds
// each metric's points in a slice of their exact number saves a copy.
func (s *Snapshot) AddOwned(name, unit string, pts []Point) {
	if m := s.metrics[name]; m == nil {
		s.newMetric(name, unit, pts)
		return
	}
	s.Add(name, unit, pts...)
}

// Delete removes the named metric. Like Add, it is for adapters and tests,
// before the snapshot is shared.
func (s *Snapshot) Delete(name string) { delete(s.metrics, name) }

// Metric returns the named metric, nil when the snapshot has none.
func (s *Snapshot) Metric(name string) *Metric { return s.metrics[name] }

// Names returns the metric names in the snapshot, sorted.
func (s *Snapshot) Names() []string {
	out := make([]string, 0, len(s.metrics))
	for n := range s.metrics {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Has reports whether the snapshot holds at least one point of name.
func (s *Snapshot) Has(name string) bool {
	m := s.metrics[name]
	return m != nil && len(m.Points) > 0
}

// Points returns every point of name whose attributes match kv (pairs of
// key, value; an empty value matches only an absent or empty attribute).
func (s *Snapshot) Points(name string, kv ...string) []Point {
	m := s.metrics[name]
	if m == nil {
		return nil
	}
	// Counted first: one allocation of the exact size, where appending
	// grew the slice several times for a metric of many points (CPU time
	// per core and state).
	k := 0
	for i := range m.Points {
		if m.Points[i].match(kv) {
			k++
		}
	}
	if k == 0 {
		return nil
	}
	out := make([]Point, 0, k)
	for i := range m.Points {
		if m.Points[i].match(kv) {
			out = append(out, m.Points[i])
		}
	}
	return out
}

// Value returns the value of the first point of name matching kv.
func (s *Snapshot) Value(name string, kv ...string) (float64, bool) {
	m := s.metrics[name]
	if m == nil {
		return 0, false
	}
	for _, p := range m.Points {
		if p.match(kv) {
			return p.Value, true
		}
	}
	return 0, false
}

// Sum adds the values of every point of name matching kv; ok is false when
// no point matched.
func (s *Snapshot) Sum(name string, kv ...string) (sum float64, ok bool) {
	m := s.metrics[name]
	if m == nil {
		return 0, false
	}
	for _, p := range m.Points {
		if p.match(kv) {
			sum += p.Value
			ok = true
		}
	}
	return sum, ok
}

// CounterDelta returns the increase of cumulative counter name (summed over
// the points matching kv) between prev and s, and the seconds it covers.
// Without prev, or after a reset, it returns the cumulative value and the
// time since the points' start. ok is false when s has no such points.
func (s *Snapshot) CounterDelta(prev *Snapshot, name string, kv ...string) (delta, secs float64, ok bool) {
	c, ok := s.Sum(name, kv...)
	if !ok {
		return 0, 0, false
	}
	if prev != nil {
		if p, ok := prev.Sum(name, kv...); ok && c >= p {
			return c - p, s.Time.Sub(prev.Time).Seconds(), true
		}
	}
	if pts := s.Points(name, kv...); len(pts) > 0 && !pts[0].Start.IsZero() {
		secs = s.Time.Sub(pts[0].Start).Seconds()
	}
	return c, math.Max(secs, 0), true
}

// Match reports whether p's attributes match kv, as Points matches them.
// A builder that reads a metric's points through Metric filters with it
// where Points would copy them.
func (p *Point) Match(kv ...string) bool { return p.match(kv) }

func (p Point) match(kv []string) bool {
	for i := 0; i+1 < len(kv); i += 2 {
		if p.Attrs[kv[i]] != kv[i+1] {
			return false
		}
	}
	return true
}
