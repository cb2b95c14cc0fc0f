package bot

import (
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/nexusmon/nexusmon/internal/names"
)

// command is a registered command with everything the hot path needs
// built in advance, so an invocation allocates as little as possible.
type command struct {
	name     string
	module   string
	spanName string
	kv       [2]attribute.KeyValue // name, module, for spans and failures
	rec      []metric.RecordOption // name, module
	add      []metric.AddOption    // name, module
	success  []metric.AddOption    // name, module, outcome=success
	failure  []metric.AddOption    // name, module, outcome=failure
	failed   errorTypeCache        // name, module, error.type, for the duration of failures
}

func newCommand(module, name, spanName string) *command {
	c := &command{name: name, module: module, spanName: spanName}
	c.kv = [2]attribute.KeyValue{
		attribute.String(names.AttrCommandName, name),
		attribute.String(names.AttrCommandModule, module),
	}
	set := attribute.NewSet(c.kv[:]...)
	c.rec = []metric.RecordOption{metric.WithAttributeSet(set)}
	c.add = []metric.AddOption{metric.WithAttributeSet(set)}
	c.success = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(c.kv[0], c.kv[1],
		attribute.String(names.AttrOutcome, OutcomeSuccess)))}
	c.failure = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(c.kv[0], c.kv[1],
		attribute.String(names.AttrOutcome, OutcomeFailure)))}
	return c
}

// idCache keeps the attribute option of one ID-keyed counter per ID, so
// repeated guilds and channels cost no allocation, for the first
// MaxIDSeries IDs; later IDs get the OtherID option. An invocation reads it
// without a lock: the IDs seen are a map that is replaced, never changed,
// and at most MaxIDSeries+1 maps are ever made.
type idCache struct {
	key  string
	seen atomic.Pointer[idSeries]
	mu   sync.Mutex // serialises the replacements of seen
}

// idSeries is the options of the IDs seen; other is set once the map is
// full.
type idSeries struct {
	m     map[string][]metric.AddOption
	other []metric.AddOption
}

func (c *idCache) opts(id string) []metric.AddOption {
	if s := c.seen.Load(); s != nil {
		if o, ok := s.m[id]; ok {
			return o
		}
		if s.other != nil {
			return s.other
		}
	}
	return c.add(id)
}

// add makes the option of an ID not seen yet.
func (c *idCache) add(id string) []metric.AddOption {
	c.mu.Lock()
	defer c.mu.Unlock()
	var old idSeries
	if s := c.seen.Load(); s != nil {
		if o, ok := s.m[id]; ok {
			return o
		}
		if s.other != nil {
			return s.other
		}
		old = *s
	}
	if len(old.m) >= MaxIDSeries {
		other := []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String(c.key, OtherID)))}
		c.seen.Store(&idSeries{m: old.m, other: other})
		return other
	}
	m := make(map[string][]metric.AddOption, len(old.m)+1)
	for k, v := range old.m {
		m[k] = v
	}
	o := []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String(c.key, id)))}
	m[id] = o
	c.seen.Store(&idSeries{m: m})
	return o
}

// maxCachedErrorTypes bounds the error types of one command whose duration
// options are kept; the options of later ones are built at each failure.
const maxCachedErrorTypes = 16

// errorTypeCache keeps the record options of one command's failures (name,
// module, error.type) per error type, for the first maxCachedErrorTypes
// types, read without a lock like idCache.
type errorTypeCache struct {
	seen atomic.Pointer[map[string][]metric.RecordOption]
	mu   sync.Mutex // serialises the replacements of seen
}

func (c *errorTypeCache) opts(cmd *command, errorType string) []metric.RecordOption {
	if m := c.seen.Load(); m != nil {
		if o, ok := (*m)[errorType]; ok {
			return o
		}
	}
	o := []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(cmd.kv[0], cmd.kv[1],
		attribute.String(names.AttrErrorType, errorType)))}
	c.mu.Lock()
	defer c.mu.Unlock()
	var old map[string][]metric.RecordOption
	if m := c.seen.Load(); m != nil {
		if cached, ok := (*m)[errorType]; ok {
			return cached
		}
		if len(*m) >= maxCachedErrorTypes {
			return o
		}
		old = *m
	}
	m := make(map[string][]metric.RecordOption, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[errorType] = o
	c.seen.Store(&m)
	return o
}
