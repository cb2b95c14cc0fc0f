package config

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// maxMergeDepth bounds how deeply "<<" merge keys and aliases are followed.
// Cycles and repeats are already cut by mergeState.visited; this is a last
// guard against deep recursion.
const maxMergeDepth = 32

var (
	durationType = reflect.TypeFor[time.Duration]()
	secretType   = reflect.TypeFor[Secret]()
	headersType  = reflect.TypeFor[Headers]()
	stringsType  = reflect.TypeFor[[]string]()
)

// decoder decodes a yaml.Node over a Config strictly, one key at a time, so
// that every problem carries its key and line and all of them are reported.
// It is driven by the Config schema (the yaml struct tags): it only walks
// keys that exist, so an aliased or self-referencing document cannot make it
// walk more than the schema's depth.
//
// yaml.Node.Decode has no KnownFields switch, which is why the strict walk is
// done here rather than by the yaml package.
type decoder struct {
	lines    map[string]int // dotted key path -> line of the key in the file
	problems []*Problem
}

func newDecoder() *decoder {
	return &decoder{lines: make(map[string]int)}
}

func (d *decoder) add(key string, line int, format string, args ...any) {
	d.problems = append(d.problems, &Problem{Key: key, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// resolve follows alias nodes.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxMergeDepth; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// root decodes the document root over cfg.
func (d *decoder) root(n *yaml.Node, cfg *Config) {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return
		}
		n = n.Content[0]
	}
	n = resolve(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.add("", n.Line, "the config must be a mapping of keys (such as discord:, reports:) to values")
		return
	}
	d.mapping(n, reflect.ValueOf(cfg).Elem(), "", newMergeState(n), 0)
}

// fieldIndex maps the yaml names of t's fields to their indexes.
func fieldIndex(t reflect.Type) (map[string]int, []string) {
	idx := make(map[string]int, t.NumField())
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		idx[name] = i
		names = append(names, name)
	}
	return idx, names
}

// mergeState is shared by a mapping and the mappings it merges ("<<").
type mergeState struct {
	seen    map[string]bool     // keys already set, by the mapping or an earlier merge source, which win
	visited map[*yaml.Node]bool // mappings already merged: each is applied once, so merges cannot multiply work
}

func newMergeState(n *yaml.Node) *mergeState {
	return &mergeState{seen: map[string]bool{}, visited: map[*yaml.Node]bool{n: true}}
}

// mapping decodes the mapping n over the struct v.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, prefix string, ms *mergeState, depth int) {
	fields, names := fieldIndex(v.Type())
	own := make(map[string]int)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, val)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.add(prefix, k.Line, "keys must be plain names")
			continue
		}
		name := k.Value
		key := join(prefix, name)
		if first, dup := own[name]; dup {
			d.add(key, k.Line, "duplicate key (first set on line %d)", first)
			continue
		}
		own[name] = k.Line
		i, ok := fields[name]
		if !ok {
			d.add(key, k.Line, "unknown key%s", suggest(name, names))
			continue
		}
		if ms.seen[name] {
			continue
		}
		ms.seen[name] = true
		d.lines[key] = k.Line
		d.value(key, k.Line, val, v.Field(i))
	}
	for _, m := range merges {
		m = resolve(m)
		if m == nil {
			continue
		}
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, s := range srcs {
			s = resolve(s)
			switch {
			case s == nil || s.Kind != yaml.MappingNode:
				d.add(join(prefix, "<<"), m.Line, "a merge key needs a mapping or a list of mappings")
			case ms.visited[s]:
			case depth >= maxMergeDepth:
				d.add(join(prefix, "<<"), s.Line, "merge keys nested too deeply")
			default:
				ms.visited[s] = true
				d.mapping(s, v, prefix, ms, depth+1)
			}
		}
	}
}

// suggest returns a hint naming the closest known key, or listing them.
func suggest(name string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if dist := editDistance(strings.ToLower(name), k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return " (known keys: " + strings.Join(known, ", ") + ")"
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// value decodes n into v, the field for key. A null value leaves a section
// at its defaults and sets a single value to its zero value ("", 0, false,
// an empty list).
func (d *decoder) value(key string, keyLine int, n *yaml.Node, v reflect.Value) {
	n = resolve(n)
	if n == nil || n.Kind == yaml.AliasNode {
		d.add(key, keyLine, "alias nested too deeply")
		return
	}
	if v.Kind() == reflect.Struct {
		switch {
		case isNull(n):
		case n.Kind != yaml.MappingNode:
			d.add(key, keyLine, "must be a mapping of keys to values")
		default:
			d.mapping(n, v, key, newMergeState(n), 0)
		}
		return
	}
	if isNull(n) {
		v.Set(reflect.Zero(v.Type()))
		return
	}
	if v.Kind() == reflect.Pointer { // an optional value: null (or no key) leaves it nil
		p := reflect.New(v.Type().Elem())
		d.value(key, keyLine, n, p.Elem())
		v.Set(p)
		return
	}
	switch t := v.Type(); {
	case t == headersType:
		d.headers(key, keyLine, n, v)
	case t == stringsType:
		d.strings(key, keyLine, n, v)
	case n.Kind != yaml.ScalarNode:
		d.add(key, keyLine, "must be %s", describe(t))
	case t == durationType:
		d.duration(key, keyLine, n, v)
	default:
		d.scalar(key, keyLine, n, v)
	}
}

// describe names what a value of type t must be, for messages.
func describe(t reflect.Type) string {
	switch {
	case t == durationType:
		return `a duration such as "30s" or "5m"`
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Int:
		return "a whole number"
	case t.Kind() == reflect.Float64:
		return "a number"
	case t == stringsType:
		return "a list of strings"
	default:
		return "a mapping of names to strings"
	}
}

func (d *decoder) duration(key string, line int, n *yaml.Node, v reflect.Value) {
	switch n.ShortTag() {
	case "!!int", "!!float":
		d.add(key, line, `must be a duration with a unit such as "30s" or "5m"; a bare number is not a duration`)
		return
	case "!!str":
		if dur, err := time.ParseDuration(n.Value); err == nil {
			v.SetInt(int64(dur))
			return
		}
	}
	d.add(key, line, "must be %s, got %s", describe(durationType), quoteShort(n.Value))
}

// scalar decodes a string, bool, int or float scalar. Values of Secret
// fields are never echoed.
func (d *decoder) scalar(key string, line int, n *yaml.Node, v reflect.Value) {
	t := v.Type()
	fail := func() {
		if t == secretType {
			d.add(key, line, "must be %s", describe(t))
			return
		}
		d.add(key, line, "must be %s, got %s", describe(t), quoteShort(n.Value))
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Decode(&b) != nil {
			fail()
			return
		}
		v.SetBool(b)
	case reflect.Int:
		var i int
		if n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			fail()
			return
		}
		v.SetInt(int64(i))
	case reflect.Float64:
		var f float64
		if tag := n.ShortTag(); (tag != "!!int" && tag != "!!float") || n.Decode(&f) != nil {
			fail()
			return
		}
		v.SetFloat(f)
	default:
		fail()
	}
}

// strings decodes a sequence of scalars, recording each item's line.
func (d *decoder) strings(key string, line int, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.add(key, line, "must be %s", describe(stringsType))
		return
	}
	out := make([]string, 0, len(n.Content))
	ok := true
	for i, item := range n.Content {
		ikey := fmt.Sprintf("%s[%d]", key, i)
		d.lines[ikey] = item.Line
		item = resolve(item)
		switch {
		case isNull(item):
			out = append(out, "")
		case item.Kind != yaml.ScalarNode:
			d.add(ikey, item.Line, "must be a string")
			ok = false
		default:
			out = append(out, item.Value)
		}
	}
	if ok {
		v.Set(reflect.ValueOf(out))
	}
}

// headers decodes a mapping of header names to values. Values are secrets:
// no message echoes them.
func (d *decoder) headers(key string, line int, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.add(key, line, "must be %s", describe(headersType))
		return
	}
	out := make(Headers, len(n.Content)/2)
	own := make(map[string]int)
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k == nil || k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			d.add(key, n.Content[i].Line, "header names must be plain strings")
			ok = false
			continue
		}
		hkey := join(key, k.Value)
		if first, dup := own[k.Value]; dup {
			d.add(hkey, k.Line, "duplicate key (first set on line %d)", first)
			ok = false
			continue
		}
		own[k.Value] = k.Line
		d.lines[hkey] = k.Line
		switch {
		case isNull(val):
			out[k.Value] = ""
		case val.Kind != yaml.ScalarNode:
			d.add(hkey, val.Line, "must be a string")
			ok = false
		default:
			out[k.Value] = val.Value
		}
	}
	if !ok {
		return
	}
	if len(out) == 0 {
		out = nil // "headers: {}" is the default, not a different value
	}
	v.Set(reflect.ValueOf(out))
}

// quoteShort quotes s for a message, shortened to a readable length.
func quoteShort(s string) string {
	const maxLen = 40
	if r := []rune(s); len(r) > maxLen {
		s = string(r[:maxLen]) + "…"
	}
	return strconv.Quote(s)
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
