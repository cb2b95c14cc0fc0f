package otelcoltest

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvBinary names the environment variable that, when set, gives the path of a
// prebuilt collector and skips the build.
const EnvBinary = "NEXUSMON_OTELCOL"

// modulePath identifies the repository root: the directory whose go.mod
// declares this module.
const modulePath = "github.com/nexusmon/nexusmon"

// Paths relative to the repository root.
const (
	binaryRel    = "bin/otelcol-test"
	collectorRel = "otel-config/collector"
)

// buildOnce builds (or finds) the collector once per test process. The result
// is shared by every test: a failed build fails each caller with the same
// output.
var buildOnce = sync.OnceValues(func() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("get working directory: %w", err)
	}
	root, err := repoRoot(wd)
	if err != nil {
		return "", err
	}
	return ensureBinary(root)
})

// Binary returns the path of the test collector, building it once per test
// process when needed.
//
// If $NEXUSMON_OTELCOL is set, its value is used as is. Otherwise the cached
// <repo root>/bin/otelcol-test is used when it is newer than every file in
// otel-config/collector; else it is rebuilt there with
// `go build -trimpath` (about a minute on 2 cores with a cold build cache).
// Concurrent test processes may build at once: each builds to a temporary name
// and renames it into place atomically. A failed build fails t with the
// build's output.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("otelcoltest: %s: %v", EnvBinary, err)
		}
		return p
	}
	p, err := buildOnce()
	if err != nil {
		t.Fatalf("otelcoltest: %v", err)
	}
	return p
}

// repoRoot walks up from dir to the directory whose go.mod declares
// modulePath. Nested modules (otel-config/collector) are passed over.
func repoRoot(dir string) (string, error) {
	for d := dir; ; {
		if isRoot(filepath.Join(d, "go.mod")) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("find repository root: no go.mod of module %s above %s", modulePath, dir)
		}
		d = parent
	}
}

// isRoot reports whether the go.mod at path declares modulePath.
func isRoot(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`) == modulePath
		}
	}
	return false
}

// ensureBinary returns root/bin/otelcol-test, rebuilding it first when it is
// missing or older than a file of the collector's source directory.
func ensureBinary(root string) (string, error) {
	bin := filepath.Join(root, filepath.FromSlash(binaryRel))
	src := filepath.Join(root, filepath.FromSlash(collectorRel))
	fresh, err := upToDate(bin, src)
	if err != nil {
		return "", err
	}
	if fresh {
		return bin, nil
	}
	return bin, build(bin, src)
}

// upToDate reports whether bin exists and is newer than every file under src.
func upToDate(bin, src string) (bool, error) {
	bi, err := os.Stat(bin)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stat %s: %w", bin, err)
	}
	built := bi.ModTime()
	stale := false
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !built.After(info.ModTime()) {
			stale = true
			return fs.SkipAll
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("read %s: %w", src, err)
	}
	return !stale, nil
}

// build compiles the collector module in src to bin. It writes to a
// temporary name in bin's directory and renames, so a concurrent reader never
// sees a half-written binary and concurrent builders both succeed.
func build(bin, src string) error {
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(bin), err)
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return fmt.Errorf("build collector: %w", err)
	}
	tmp := fmt.Sprintf("%s.tmp-%d-%s", bin, os.Getpid(), hex.EncodeToString(rnd[:]))
	gobin, err := goTool()
	if err != nil {
		return err
	}
	cmd := exec.Command(gobin, "build", "-trimpath", "-o", tmp, ".")
	cmd.Dir = src
	// The collector is a module of its own: a go.work of the caller must not
	// pull it into a workspace.
	cmd.Env = append(os.Environ(), "GOWORK=off")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		_ = os.Remove(tmp) // best effort: the build may not have created it
		return fmt.Errorf("build collector in %s: %w\n%s", src, err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		_ = os.Remove(tmp) // best effort
		return fmt.Errorf("install collector: %w", err)
	}
	// Visible with go test -v; helps explain a slow first test.
	fmt.Fprintf(os.Stderr, "otelcoltest: built %s in %s\n", bin, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// goTool finds the go command: the one on PATH, else the one in GOROOT.
func goTool() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("build collector: go command not found on PATH or in $GOROOT/bin")
}
