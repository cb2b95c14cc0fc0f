package otelcoltest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestConfigCopyIsIdentical(t *testing.T) {
	t.Parallel()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := repoRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	orig := filepath.Join(root, "otel-config", "test-collector.yaml")
	want, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(collectorConfig, want) {
		t.Errorf("testdata/test-collector.yaml differs from %s; copy it: cp %s testdata/", orig, orig)
	}
	// The embedded copy is the file on disk, not a stale build artefact.
	onDisk, err := os.ReadFile(filepath.Join("testdata", "test-collector.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, collectorConfig) {
		t.Error("embedded config differs from testdata/test-collector.yaml")
	}
}
