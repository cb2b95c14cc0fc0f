package payload

import (
	"encoding/json"
	"fmt"
)

// FieldError is one entry of a 50035 error tree.
type FieldError struct {
	// Path is where the error sits in the tree; nil is the body itself.
	Path    []string
	Code    string
	Message string
}

// Error is a 400 answer: Discord's error code and message and, for 50035,
// the field errors.
type Error struct {
	Code    int
	Message string
	Fields  []FieldError
}

// Invalid is Discord's 400 50035 "Invalid Form Body" with the field errors.
func Invalid(fields ...FieldError) *Error {
	return &Error{Code: 50035, Message: "Invalid Form Body", Fields: fields}
}

// Body returns the JSON body of the answer: {"code":...,"message":...} and,
// when there are field errors, "errors" with an "_errors" list at each
// path.
func (e *Error) Body() []byte {
	out := map[string]any{"code": e.Code, "message": e.Message}
	if len(e.Fields) > 0 {
		tree := map[string]any{}
		for _, f := range e.Fields {
			node := tree
			for _, p := range f.Path {
				next, ok := node[p].(map[string]any)
				if !ok {
					next = map[string]any{}
					node[p] = next
				}
				node = next
			}
			list, _ := node["_errors"].([]any) // absent on first use
			node["_errors"] = append(list, map[string]any{"code": f.Code, "message": f.Message})
		}
		out["errors"] = tree
	}
	b, err := json.Marshal(out)
	if err != nil {
		// Strings, ints, maps and slices of them always marshal.
		panic(fmt.Sprintf("discordtest: marshal: %v", err))
	}
	return b
}
