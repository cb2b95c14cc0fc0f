package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	files = append(files, "../otel-config/nexusmon.yaml")
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// The token file reader and the path check are replaced so fuzz inputs
	// never touch the disk.
	readFile := func(path string) ([]byte, error) {
		if strings.HasSuffix(path, "token.txt") {
			return []byte("fuzz-token\n"), nil
		}
		return nil, errors.Join(errors.New("read token file"), fs.ErrNotExist)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "fuzz.yaml", WithEnv(noEnv), WithBaseDir("/nonexistent"), withReadFile(readFile),
			withCheckFile(func(string, pathUse) string { return "" }))
		if err != nil {
			if cfg != nil {
				t.Fatal("config returned with an error")
			}
			if len(Problems(err)) == 0 {
				t.Fatalf("error holds no *Problem: %v", err)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("parsed config does not validate: %v", err)
		}
		_ = cfg.Redacted() // must not panic
	})
}
