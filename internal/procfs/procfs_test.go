package procfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

func TestReadFileInto(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := strings.Repeat("0123456789abcdef", 1000) // larger than the initial buffer
	if err := os.WriteFile(filepath.Join(dir, "big"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf []byte
	got, err := ReadFileInto(filepath.Join(dir, "big"), &buf)
	if err != nil || string(got) != big {
		t.Fatalf("read %d bytes, err %v", len(got), err)
	}
	_, err = ReadFileInto(filepath.Join(dir, "missing"), &buf)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	var pe *PathError
	if !errors.As(err, &pe) || pe.Op != "open" || pe.Path != filepath.Join(dir, "missing") {
		t.Errorf("missing file: %#v, want an open *PathError", err)
	}
}

func TestNextLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, line, rest string
		restNil        bool
	}{
		{"a b\nc\n", "a b", "c\n", false},
		{"last", "last", "", true},
		{"\n", "", "", false},
		{"", "", "", true},
	}
	for _, tt := range tests {
		line, rest := NextLine([]byte(tt.in))
		if string(line) != tt.line || string(rest) != tt.rest || (rest == nil) != tt.restNil {
			t.Errorf("NextLine(%q) = %q, %q (nil %v)", tt.in, line, rest, rest == nil)
		}
	}
}

func TestFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"  cpu0 1\t2 \t 3  ", []string{"cpu0", "1", "2", "3"}},
		{"one", []string{"one"}},
		{" \t ", nil},
		{"", nil},
	}
	scratch := make([][]byte, 0, 1)
	for _, tt := range tests {
		scratch = Fields([]byte(tt.in), scratch)
		var got []string
		for _, f := range scratch {
			got = append(got, string(f))
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Fields(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseUint(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]uint64{"0": 0, "42": 42, "18446744073709551615": 1<<64 - 1} {
		if got, err := ParseUint([]byte(in)); err != nil || got != want {
			t.Errorf("ParseUint(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "+1", "1 ", "x", "18446744073709551616"} {
		if _, err := ParseUint([]byte(bad)); err == nil {
			t.Errorf("ParseUint(%q) succeeded", bad)
		}
	}
}

// A collection reads a dozen /proc files a second: with a warm buffer,
// reading one allocates nothing (the path is not copied to the heap).
func TestReadFileInto_noAlloc(t *testing.T) {
	var buf []byte
	if _, err := ReadFileInto("/proc/self/stat", &buf); err != nil {
		t.Skipf("no /proc: %v", err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := ReadFileInto("/proc/self/stat", &buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ReadFileInto allocates %.0f times per read, want 0", allocs)
	}
}

// A path too long for the stack copy still opens; one with a NUL byte fails
// as the kernel would never see it.
func TestReadFileInto_paths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	long := filepath.Join(dir, strings.Repeat("d", 200), strings.Repeat("f", 200))
	if err := os.MkdirAll(filepath.Dir(long), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(long, []byte("long"), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf []byte
	if got, err := ReadFileInto(long, &buf); err != nil || string(got) != "long" {
		t.Errorf("long path: %q, %v", got, err)
	}
	_, err := ReadFileInto(filepath.Join(dir, "a\x00b"), &buf)
	var pe *PathError
	if !errors.As(err, &pe) || pe.Op != "open" || !errors.Is(err, syscall.EINVAL) {
		t.Errorf("path with NUL: %v, want an open *PathError wrapping EINVAL", err)
	}
}
