package config

import (
	"strings"
	"testing"
)

// TestParse_fleet: fleet.shard is optional, and 0 is a shard, not "unset";
// fleet.instance is kept as written.
func TestParse_fleet(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, yaml string
		instance   string
		shard      *int
		problem    string // "" when the file is valid
	}{
		{name: "absent", yaml: "log: {level: info}\n"},
		{name: "null shard", yaml: "fleet:\n  shard: null\n"},
		{name: "empty shard", yaml: "fleet:\n  shard:\n"},
		{name: "shard 0", yaml: "fleet: {shard: 0}\n", shard: ptr(0)},
		{name: "instance and shard", yaml: "fleet: {instance: \"bot · host-a/7\", shard: 7}\n", instance: "bot · host-a/7", shard: ptr(7)},
		{name: "big shard", yaml: "fleet: {shard: 4095}\n", shard: ptr(4095)},
		{name: "negative shard", yaml: "fleet: {shard: -3}\n", problem: "fleet.shard: must be 0 or more (or left out), got -3"},
		{name: "shard as string", yaml: "fleet: {shard: \"3\"}\n", problem: `fleet.shard: must be a whole number, got "3"`},
		{name: "trailing space", yaml: "fleet: {instance: \"a \"}\n", problem: `fleet.instance: must not begin or end with spaces, got "a "`},
		{name: "tab", yaml: "fleet: {instance: \"a\\tb\"}\n", problem: `fleet.instance: must not contain control characters or line breaks, got "a\tb"`},
		{name: "128 characters", yaml: "fleet: {instance: " + strings.Repeat("é", 128) + "}\n", instance: strings.Repeat("é", 128)},
		{name: "129 characters", yaml: "fleet: {instance: " + strings.Repeat("é", 129) + "}\n", problem: "fleet.instance: must be at most 128 characters, got 129"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Parse([]byte(tc.yaml), "f.yaml", WithEnv(noEnv))
			if tc.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tc.problem) {
					t.Fatalf("Parse error = %v, want one containing %q", err, tc.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Fleet.Instance != tc.instance {
				t.Errorf("fleet.instance = %q, want %q", cfg.Fleet.Instance, tc.instance)
			}
			switch got := cfg.Fleet.Shard; {
			case (got == nil) != (tc.shard == nil):
				t.Errorf("fleet.shard = %v, want %v", got, tc.shard)
			case got != nil && *got != *tc.shard:
				t.Errorf("fleet.shard = %d, want %d", *got, *tc.shard)
			}
		})
	}
}

// TestValidate_fleetInstanceUTF8: YAML cannot carry invalid UTF-8, a Go
// caller's Config can.
func TestValidate_fleetInstanceUTF8(t *testing.T) {
	t.Parallel()
	cfg := Default()
	cfg.Fleet.Instance = "a\xffb"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "fleet.instance: must be valid UTF-8") {
		t.Errorf("Validate = %v, want fleet.instance: must be valid UTF-8", err)
	}
}
