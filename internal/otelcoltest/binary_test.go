package otelcoltest

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRepoRoot(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(tmp, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("repo/go.mod", "// comment\nmodule github.com/nexusmon/nexusmon\n\ngo 1.26.8\n")
	write("repo/otel-config/collector/go.mod", "module github.com/nexusmon/nexusmon/otel-config/collector\n")
	write("repo/internal/otelcoltest/doc.go", "package otelcoltest\n")
	write("other/go.mod", "module example.com/other\n")
	write("quoted/go.mod", "module \"github.com/nexusmon/nexusmon\"\n")

	tests := map[string]struct {
		from    string
		want    string
		wantErr bool
	}{
		"package dir":      {from: "repo/internal/otelcoltest", want: "repo"},
		"root itself":      {from: "repo", want: "repo"},
		"nested module":    {from: "repo/otel-config/collector", want: "repo"},
		"quoted module":    {from: "quoted", want: "quoted"},
		"another module":   {from: "other", wantErr: true},
		"outside any root": {from: ".", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := repoRoot(filepath.Join(tmp, filepath.FromSlash(tc.from)))
			if tc.wantErr {
				if err == nil {
					t.Fatalf("repoRoot = %q, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(tmp, tc.want); got != want {
				t.Errorf("repoRoot = %q, want %q", got, want)
			}
		})
	}
}

func TestUpToDate(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := map[string]struct {
		binary  *time.Time // nil: no binary
		sources map[string]time.Time
		want    bool
	}{
		"no binary": {
			sources: map[string]time.Time{"main.go": base},
			want:    false,
		},
		"newer than every file": {
			binary:  new(base.Add(time.Hour)),
			sources: map[string]time.Time{"main.go": base, "go.sum": base.Add(time.Minute), "sub/x.go": base},
			want:    true,
		},
		"one file newer": {
			binary:  new(base.Add(time.Hour)),
			sources: map[string]time.Time{"main.go": base, "go.sum": base.Add(2 * time.Hour)},
			want:    false,
		},
		"file in a subdirectory newer": {
			binary:  new(base.Add(time.Hour)),
			sources: map[string]time.Time{"main.go": base, "sub/x.go": base.Add(2 * time.Hour)},
			want:    false,
		},
		"same time counts as stale": {
			binary:  new(base),
			sources: map[string]time.Time{"main.go": base},
			want:    false,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			src := filepath.Join(dir, "src")
			for rel, mt := range tc.sources {
				p := filepath.Join(src, filepath.FromSlash(rel))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(rel), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(p, mt, mt); err != nil {
					t.Fatal(err)
				}
			}
			bin := filepath.Join(dir, "otelcol-test")
			if tc.binary != nil {
				if err := os.WriteFile(bin, []byte("bin"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(bin, *tc.binary, *tc.binary); err != nil {
					t.Fatal(err)
				}
			}
			got, err := upToDate(bin, src)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("upToDate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestUpToDate_MissingSource(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "otelcol-test")
	if err := os.WriteFile(bin, []byte("bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := upToDate(bin, filepath.Join(dir, "no-such-dir")); err == nil {
		t.Error("upToDate with a missing source directory: want an error")
	}
}
