package host

// attrCache keeps precomputed attribute options per name (device,
// interface) so a collection allocates no attribute sets for names it has
// seen before, and forgets names absent from a collection so short-lived
// interfaces (container veths) do not accumulate.
type attrCache[T any] struct {
	gen     uint64
	entries map[string]*attrEntry[T]
}

type attrEntry[T any] struct {
	gen uint64
	v   T
}

// begin starts a collection.
func (a *attrCache[T]) begin() {
	a.gen++
	if a.entries == nil {
		a.entries = map[string]*attrEntry[T]{}
	}
}

// get returns the options of name and marks it as seen in this collection.
func (a *attrCache[T]) get(name string) (T, bool) {
	e, ok := a.entries[name]
	if !ok {
		var zero T
		return zero, false
	}
	e.gen = a.gen
	return e.v, true
}

// put stores the options of a name seen in this collection.
func (a *attrCache[T]) put(name string, v T) {
	a.entries[name] = &attrEntry[T]{gen: a.gen, v: v}
}

// end forgets the names not seen since begin.
func (a *attrCache[T]) end() {
	for k, e := range a.entries {
		if e.gen != a.gen {
			delete(a.entries, k)
		}
	}
}
