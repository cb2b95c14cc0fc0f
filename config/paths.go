package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// pathUse says how the agent opens a file it writes.
type pathUse struct {
	// store is the SQLite store: its directory must be writable even when
	// the file exists (SQLite creates its -wal and -journal files beside
	// it), and an existing file is not opened (see canWrite).
	store  bool
	device bool // a character device (/dev/null) may stand in for the file
}

var (
	storeUse  = pathUse{store: true}
	eventsUse = pathUse{device: true}
)

// checkPaths checks storage.path and output.jsonl against the file system
// and returns one *Problem (Key and Msg) per path the agent could not create
// or open for writing. Keys in skip already have a problem.
func checkPaths(cfg *Config, check func(string, pathUse) string, skip map[string]bool) []*Problem {
	var ps []*Problem
	for _, f := range []struct {
		key, path string
		use       pathUse
	}{
		{"storage.path", cfg.Storage.Path, storeUse},
		{"output.jsonl", cfg.Output.JSONL, eventsUse},
	} {
		if f.path == "" || skip[f.key] {
			continue // empty: disabled, or already reported as a problem
		}
		if msg := check(f.path, f.use); msg != "" {
			ps = append(ps, problem(f.key, "%s", msg))
		}
	}
	return ps
}

// checkFile reports why the agent could not create the file at path, or
// open it for writing when it exists; "" means it could. A relative path is
// relative to the working directory, as the agent opens it. It leaves
// nothing behind: it creates and removes a temporary file or directory to
// prove that a directory is writable or can be created, and opens an
// existing file without writing to it.
func checkFile(path string, use pathUse) string {
	fi, err := os.Stat(path)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return checkDir(filepath.Dir(path))
	default:
		return fmt.Sprintf("cannot check %s: %v", path, err)
	}
	switch m := fi.Mode(); {
	case m.IsDir():
		return fmt.Sprintf("%s is a directory, not a file", path)
	case m.IsRegular():
	case use.device && m&fs.ModeCharDevice != 0:
	case use.device:
		return fmt.Sprintf("%s is not a regular file or a character device", path)
	default:
		return fmt.Sprintf("%s is not a regular file", path)
	}
	if err := canWrite(path, use); err != nil {
		return fmt.Sprintf("%s cannot be opened for writing: %v", path, pathErr(path, err))
	}
	if use.store {
		return checkDir(filepath.Dir(path))
	}
	return ""
}

// checkDir reports why files could not be created in dir, creating dir
// first when it is missing; "" means they could.
func checkDir(dir string) string {
	existing := dir // the nearest existing ancestor of dir, or dir itself
	for {
		fi, err := os.Stat(existing)
		if err == nil {
			if fi.IsDir() {
				break
			}
			if existing == dir {
				return fmt.Sprintf("%s is not a directory", dir)
			}
			return fmt.Sprintf("directory %s cannot be created: %s is not a directory", dir, existing)
		}
		parent := filepath.Dir(existing)
		if parent == existing || !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return fmt.Sprintf("cannot check directory %s: %v", dir, err)
		}
		existing = parent
	}
	if existing == dir {
		f, err := os.CreateTemp(dir, ".nexusmon-check-*")
		if err != nil {
			return fmt.Sprintf("directory %s is not writable: %v", dir, err)
		}
		name := f.Name()
		if err := errors.Join(f.Close(), os.Remove(name)); err != nil {
			return fmt.Sprintf("directory %s: remove check file: %v", dir, err)
		}
		return ""
	}
	tmp, err := os.MkdirTemp(existing, ".nexusmon-check-*")
	if err != nil {
		return fmt.Sprintf("directory %s cannot be created: %v", dir, err)
	}
	if err := os.Remove(tmp); err != nil {
		return fmt.Sprintf("directory %s: remove check directory: %v", dir, err)
	}
	return ""
}

// openWrite opens the file at path for writing, as the agent does, and
// closes it without writing.
func openWrite(path string, use pathUse) error {
	flag := os.O_WRONLY | os.O_APPEND
	if use.store {
		flag = os.O_RDWR
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return err
	}
	return f.Close()
}

// pathErr returns the cause of err without the path when err is an
// *fs.PathError about path, which the message names already.
func pathErr(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		return pe.Err
	}
	return err
}
