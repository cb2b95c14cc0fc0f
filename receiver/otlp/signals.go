package otlp

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/nexusmon/nexusmon/instrumentation/bot"
	"github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/internal/otlpwire"
)

// traces handles one trace export: command spans go to the Recorder, the
// rest is counted as not_command; the request is forwarded whole.
func (r *Receiver) traces(body []byte, enc encoding) ([]byte, error) {
	rss, err := decodeTraces(body, enc)
	if err != nil {
		return nil, err
	}
	var t tally
	for _, rs := range rss {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				r.span(sp, &t)
			}
		}
	}
	r.record("spans", &t)
	// body is a pooled buffer: the forwarder gets a copy.
	if r.opts.Forwarder != nil && len(rss) > 0 && !r.opts.Forwarder.ForwardTraces(bytes.Clone(body), enc == encJSON) {
		r.fwdDropped.Add(bg, 1, fwdSpans...)
	}
	return otlpwire.EncodeResponse(t.partial("spans"), enc == encJSON, otlpwire.RejectedSpans), nil
}

// span records sp when it is a command span.
func (r *Receiver) span(sp *tracepb.Span, t *tally) {
	cmd := commandName(sp)
	if cmd == "" {
		t.drop(ReasonNotCommand, false)
		return
	}
	if !r.spans.take(r.now()) {
		t.drop(ReasonRateLimited, true)
		return
	}
	inv, ok := invocation(sp, cmd)
	if !ok || r.opts.Recorder == nil {
		t.drop(ReasonInvalid, true)
		return
	}
	switch err := r.opts.Recorder.RecordInvocation(inv); {
	case errors.Is(err, bot.ErrTooManyCommands):
		t.drop(ReasonCommandLimit, true)
	case err != nil:
		t.drop(ReasonInvalid, true)
	default:
		t.accepted++
	}
}

// commandName returns the command of a command span (docs/conventions.md):
// a SERVER or INTERNAL span with discord.command.name, or named
// "command <name>"; "" for any other span.
func commandName(sp *tracepb.Span) string {
	switch sp.GetKind() {
	case tracepb.Span_SPAN_KIND_SERVER, tracepb.Span_SPAN_KIND_INTERNAL, tracepb.Span_SPAN_KIND_UNSPECIFIED:
	default:
		return ""
	}
	for _, kv := range sp.GetAttributes() {
		if kv.GetKey() == names.AttrCommandName {
			if s := kv.GetValue().GetStringValue(); s != "" {
				return s
			}
		}
	}
	if name, ok := strings.CutPrefix(sp.GetName(), names.SpanCommandPrefix); ok {
		return strings.TrimSpace(name)
	}
	return ""
}

// invocation reads a command span. A failure is a span with status ERROR
// or an error.type attribute; its message is the status description, else
// the exception event's message.
func invocation(sp *tracepb.Span, cmd string) (bot.Invocation, bool) {
	start, ok1 := unixNano(sp.GetStartTimeUnixNano())
	end, ok2 := unixNano(sp.GetEndTimeUnixNano())
	if !ok1 || !ok2 || end.Before(start) {
		return bot.Invocation{}, false
	}
	inv := bot.Invocation{Command: cmd, Start: start, End: end}
	for _, kv := range sp.GetAttributes() {
		v := kv.GetValue().GetStringValue()
		switch kv.GetKey() {
		case names.AttrCommandModule:
			inv.Module = v
		case names.AttrGuildID:
			inv.GuildID = v
		case names.AttrChannelID:
			inv.ChannelID = v
		case names.AttrInteractionID:
			inv.InteractionID = v
		case names.AttrErrorType:
			inv.ErrorType = v
		}
	}
	failed := sp.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR || inv.ErrorType != ""
	var excType, excMsg string
	for _, ev := range sp.GetEvents() {
		switch ev.GetName() {
		case names.EventFirstResponse:
			if at, ok := unixNano(ev.GetTimeUnixNano()); ok && inv.FirstResponse.IsZero() {
				inv.FirstResponse = at
			}
		case "exception":
			for _, kv := range ev.GetAttributes() {
				switch kv.GetKey() {
				case "exception.type":
					excType = kv.GetValue().GetStringValue()
				case "exception.message":
					excMsg = kv.GetValue().GetStringValue()
				}
			}
		}
	}
	if failed {
		inv.Message = sp.GetStatus().GetMessage()
		if inv.Message == "" {
			inv.Message = excMsg
		}
		if inv.ErrorType == "" {
			inv.ErrorType = excType
		}
		if inv.ErrorType == "" {
			inv.ErrorType = bot.ErrorTypeOther
		}
	}
	return inv, true
}

// unixNano converts an OTLP timestamp; zero and out-of-range ones are not
// times.
func unixNano(ns uint64) (time.Time, bool) {
	if ns == 0 || ns > math.MaxInt64 {
		return time.Time{}, false
	}
	return time.Unix(0, int64(ns)), true
}

// sessionMetrics and runtimeMetrics are the metrics docs/conventions.md
// lists; session metrics are reported under the bot instrumentation's
// scope, as the Go bot's are.
var (
	sessionMetrics = map[string]bool{
		names.DiscordConnected: true, names.DiscordGuilds: true, names.DiscordUsers: true,
		names.DiscordChannels: true, names.DiscordLatency: true, names.DiscordUptime: true,
		names.DiscordShardID: true, names.DiscordShardCount: true, names.DiscordReconnects: true,
		names.DiscordResumes: true, names.DiscordReady: true, names.DiscordCommands: true,
	}
	runtimeMetrics = map[string]bool{
		names.NodeHeapUsed: true, names.NodeHeapLimit: true, names.NodeEventLoopDelayP50: true,
		names.NodeEventLoopDelayP99: true, names.NodeEventLoopDelayMax: true, names.NodeGCDuration: true,
		names.PyGCCollections: true, names.PyGCCollected: true, names.PyGCUncollectable: true,
		names.ProcessMemoryUsage: true,
	}
)

// metricScope returns the scope a received metric is reported under, ""
// for a metric the receiver does not use.
func metricScope(name string) string {
	switch {
	case sessionMetrics[name]:
		return names.ScopeBot
	case runtimeMetrics[name], strings.HasPrefix(name, "go."), strings.HasPrefix(name, "nexusmon.go."):
		return names.ScopeReceiver
	}
	return ""
}

// metrics handles one metric export: the latest point of each recognised
// series is kept; the request is forwarded whole.
func (r *Receiver) metrics(body []byte, enc encoding) ([]byte, error) {
	rms, err := decodeMetrics(body, enc)
	if err != nil {
		return nil, err
	}
	var t tally
	now := r.now()
	for _, rm := range rms {
		res := resourceAttrs(rm.GetResource())
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				r.metric(m, res, now, &t)
			}
		}
	}
	r.record("points", &t)
	if r.opts.Forwarder != nil && len(rms) > 0 && !r.opts.Forwarder.ForwardMetrics(bytes.Clone(body), enc == encJSON) {
		r.fwdDropped.Add(bg, 1, fwdPoints...)
	}
	return otlpwire.EncodeResponse(t.partial("data points"), enc == encJSON, otlpwire.RejectedDataPoints), nil
}

// metric keeps the points of m.
func (r *Receiver) metric(m *metricspb.Metric, res map[string]string, now time.Time, t *tally) {
	scope := metricScope(m.GetName())
	var pts []rawPoint
	var delta bool
	switch d := m.GetData().(type) {
	case *metricspb.Metric_Gauge:
		pts = numberPoints(d.Gauge.GetDataPoints())
	case *metricspb.Metric_Sum:
		pts = numberPoints(d.Sum.GetDataPoints())
		delta = d.Sum.GetAggregationTemporality() == metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA
	case *metricspb.Metric_Histogram:
		pts = histogramPoints(d.Histogram.GetDataPoints())
		delta = d.Histogram.GetAggregationTemporality() == metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA
	default: // exponential histograms and summaries: no convention uses them
		n := countPoints(m)
		for range n {
			t.drop(ReasonUnknownMetric, false)
		}
		return
	}
	for _, rp := range pts {
		if scope == "" {
			t.drop(ReasonUnknownMetric, false)
			continue
		}
		if !r.points.take(now) {
			t.drop(ReasonRateLimited, true)
			continue
		}
		attrs, ok := pointAttrs(rp.attrs, scope, res)
		if !rp.ok || !ok {
			t.drop(ReasonInvalid, true)
			continue
		}
		p := rp.p
		p.Name, p.Unit, p.Attrs = m.GetName(), m.GetUnit(), attrs
		if !r.state.put(seriesKey(p.Name, attrs), p, delta, now) {
			t.drop(ReasonSeriesLimit, true)
			continue
		}
		t.accepted++
	}
}

var (
	bg        = context.Background()
	fwdSpans  = []metric.AddOption{metric.WithAttributes(attribute.String(names.AttrReceiverSignal, "spans"))}
	fwdPoints = []metric.AddOption{metric.WithAttributes(attribute.String(names.AttrReceiverSignal, "points"))}
)

// rawPoint is a received point before its attributes are checked; ok is
// false when its value cannot be used.
type rawPoint struct {
	p     Point
	attrs []*commonpb.KeyValue
	ok    bool
}

func numberPoints(dps []*metricspb.NumberDataPoint) []rawPoint {
	out := make([]rawPoint, 0, len(dps))
	for _, dp := range dps {
		rp := rawPoint{attrs: dp.GetAttributes()}
		var v float64
		switch x := dp.GetValue().(type) {
		case *metricspb.NumberDataPoint_AsDouble:
			v, rp.ok = x.AsDouble, !math.IsNaN(x.AsDouble) && !math.IsInf(x.AsDouble, 0)
		case *metricspb.NumberDataPoint_AsInt:
			v, rp.ok = float64(x.AsInt), true
		}
		at, okT := unixNano(dp.GetTimeUnixNano())
		start, _ := unixNano(dp.GetStartTimeUnixNano())
		rp.ok = rp.ok && okT
		rp.p = Point{Start: start, Time: at, Value: v}
		out = append(out, rp)
	}
	return out
}

func histogramPoints(dps []*metricspb.HistogramDataPoint) []rawPoint {
	out := make([]rawPoint, 0, len(dps))
	for _, dp := range dps {
		at, okT := unixNano(dp.GetTimeUnixNano())
		start, _ := unixNano(dp.GetStartTimeUnixNano())
		bounds, counts := dp.GetExplicitBounds(), dp.GetBucketCounts()
		ok := okT && len(counts) == len(bounds)+1 && len(counts) <= maxBuckets
		h := &Histogram{Count: dp.GetCount(), Sum: dp.GetSum(), Min: math.NaN(), Max: math.NaN()}
		if ok {
			h.Bounds, h.Counts = append([]float64(nil), bounds...), append([]uint64(nil), counts...)
		}
		if dp.Min != nil {
			h.Min = dp.GetMin()
		}
		if dp.Max != nil {
			h.Max = dp.GetMax()
		}
		out = append(out, rawPoint{p: Point{Start: start, Time: at, Value: h.Sum, Hist: h}, attrs: dp.GetAttributes(), ok: ok})
	}
	return out
}

// countPoints is the number of points of a metric the receiver does not
// read.
func countPoints(m *metricspb.Metric) int {
	switch d := m.GetData().(type) {
	case *metricspb.Metric_ExponentialHistogram:
		return len(d.ExponentialHistogram.GetDataPoints())
	case *metricspb.Metric_Summary:
		return len(d.Summary.GetDataPoints())
	}
	return 0
}
