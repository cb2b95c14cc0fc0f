package payload

// CommandType returns an application command's type; absent means
// CHAT_INPUT (1).
func CommandType(m map[string]any) float64 {
	if t, ok := m["type"].(float64); ok {
		return t
	}
	return 1
}

// Command checks the limits of a CHAT_INPUT command that a bot can get wrong
// without noticing. path is where the command sits in the request body (nil
// for a single command).
func Command(path []string, in map[string]any) []FieldError {
	var errs []FieldError
	name := Str(in, "name")
	if n := len([]rune(name)); n < 1 || n > 32 {
		errs = append(errs, FieldError{append(path, "name"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length."})
	}
	if CommandType(in) == 1 {
		if n := len([]rune(Str(in, "description"))); n < 1 || n > 100 {
			errs = append(errs, FieldError{append(path, "description"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."})
		}
		opts, _ := in["options"].([]any) // absent or null: none
		errs = append(errs, maxLen(append(path, "options"), len(opts), 25)...)
	}
	return errs
}
