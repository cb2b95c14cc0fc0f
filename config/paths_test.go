package config

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestParse_paths checks that Parse reports a storage.path or output.jsonl
// the agent could not create or open, with the line of the key, and that
// checking leaves nothing behind. Tests run as root, so every failing case
// fails for root too.
func TestParse_paths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	existingDB := filepath.Join(dir, "existing.db")
	if err := os.WriteFile(existingDB, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		yaml  string
		linux bool   // needs /proc, /sys or /dev/full
		key   string // "" when the config is fine
		msg   string
	}{
		{name: "new directories", yaml: "storage:\n  path: " + filepath.Join(dir, "a", "b", "n.db") +
			"\noutput:\n  jsonl: " + filepath.Join(dir, "c", "e.jsonl") + "\n"},
		{name: "existing directory", yaml: "storage:\n  path: " + filepath.Join(dir, "n.db") +
			"\noutput:\n  jsonl: " + filepath.Join(dir, "e.jsonl") + "\n"},
		{name: "existing files", yaml: "storage:\n  path: " + existingDB + "\noutput:\n  jsonl: " + file + "\n"},
		{name: "jsonl disabled", yaml: "output:\n  jsonl: \"\"\nstorage:\n  path: " + filepath.Join(dir, "n.db") + "\n"},
		{name: "jsonl on /dev/full", linux: true, yaml: "output:\n  jsonl: /dev/full\nstorage:\n  path: " + filepath.Join(dir, "n.db") + "\n"},
		{name: "storage below a file", yaml: "# c\nstorage:\n  path: " + filepath.Join(file, "sub", "n.db") + "\n",
			key: "storage.path", msg: "directory " + filepath.Join(file, "sub") + " cannot be created: " + file + " is not a directory"},
		{name: "storage in a file", yaml: "storage:\n  path: " + filepath.Join(file, "n.db") + "\n",
			key: "storage.path", msg: file + " is not a directory"},
		{name: "storage is a directory", yaml: "storage:\n  path: " + dir + "\n",
			key: "storage.path", msg: dir + " is a directory, not a file"},
		{name: "storage is a device", linux: true, yaml: "storage:\n  path: /dev/null\n",
			key: "storage.path", msg: "/dev/null is not a regular file"},
		{name: "storage directory cannot be created", linux: true, yaml: "storage:\n  path: /proc/nexusmon/n.db\n",
			key: "storage.path", msg: "directory /proc/nexusmon cannot be created: mkdir /proc/.nexusmon-check-"},
		{name: "storage directory not writable", linux: true, yaml: "storage:\n  path: /sys/nexusmon.db\n",
			key: "storage.path", msg: "directory /sys is not writable: open /sys/.nexusmon-check-"},
		{name: "jsonl below a file", yaml: "output:\n  jsonl: " + filepath.Join(file, "sub", "e.jsonl") + "\nstorage:\n  path: " + filepath.Join(dir, "n.db") + "\n",
			key: "output.jsonl", msg: "directory " + filepath.Join(file, "sub") + " cannot be created: " + file + " is not a directory"},
		{name: "jsonl is a directory", yaml: "output:\n  jsonl: " + dir + "\nstorage:\n  path: " + filepath.Join(dir, "n.db") + "\n",
			key: "output.jsonl", msg: dir + " is a directory, not a file"},
		{name: "jsonl directory cannot be created", linux: true, yaml: "output:\n  jsonl: /proc/nexusmon/e.jsonl\nstorage:\n  path: " + filepath.Join(dir, "n.db") + "\n",
			key: "output.jsonl", msg: "directory /proc/nexusmon cannot be created: mkdir /proc/.nexusmon-check-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.linux && runtime.GOOS != "linux" {
				t.Skip("needs Linux")
			}
			before := entries(t, dir)
			cfg, err := Parse([]byte(tt.yaml), "p.yaml", WithEnv(noEnv))
			if after := entries(t, dir); !slices.Equal(before, after) {
				t.Errorf("checking changed %s: %v, then %v", dir, before, after)
			}
			if tt.key == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if cfg == nil {
					t.Fatal("Parse returned no config")
				}
				return
			}
			ps := Problems(err)
			line := keyLine(tt.yaml, tt.key)
			if len(ps) != 1 || ps[0].Key != tt.key || ps[0].Line != line || !strings.Contains(ps[0].Msg, tt.msg) {
				t.Fatalf("got %v, want one problem at p.yaml:%d %s containing %q", err, line, tt.key, tt.msg)
			}
			if want := "p.yaml:" + strconv.Itoa(line) + ": " + tt.key + ": "; !strings.HasPrefix(ps[0].Error(), want) {
				t.Errorf("problem %q does not start with %q", ps[0].Error(), want)
			}
		})
	}
}

// TestParse_pathsOfDefaults checks the embedded defaults the same way: the
// relative data/ paths are checked against the working directory, and a
// problem there names the key without a line.
func TestParse_pathsOfDefaults(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if _, err := Parse(nil, "(defaults)", WithEnv(noEnv)); err != nil {
		t.Fatalf("defaults in an empty directory: %v", err)
	}
	if got := entries(t, dir); len(got) != 0 {
		t.Errorf("checking the defaults left %v behind", got)
	}
	if err := os.WriteFile("data", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Parse(nil, "(defaults)", WithEnv(noEnv))
	ps := Problems(err)
	if len(ps) != 2 {
		t.Fatalf("got %v, want a problem for storage.path and one for output.jsonl", err)
	}
	for i, key := range []string{"storage.path", "output.jsonl"} {
		if want := "(defaults): " + key + ": data is not a directory"; ps[i].Error() != want {
			t.Errorf("problem %d = %q, want %q", i, ps[i].Error(), want)
		}
	}
}

// entries returns the names in dir, sorted.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(es))
	for i, e := range es {
		names[i] = e.Name()
	}
	return names
}

// keyLine returns the 1-based line of the leaf of key ("storage.path" is
// the line with "  path:") in a two-level YAML text.
func keyLine(yaml, key string) int {
	_, leaf, _ := strings.Cut(key, ".")
	for i, l := range strings.Split(yaml, "\n") {
		if strings.HasPrefix(l, "  "+leaf+":") {
			return i + 1
		}
	}
	return 0
}
