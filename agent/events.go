package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// eventsFile appends JSONL lines to a file, creating its directory.
type eventsFile struct {
	mu sync.Mutex
	f  *os.File
}

// openEvents opens path for append. Its errors name the file once, like
// store.Open's: "open events file FILE: create directory DIR: …".
func openEvents(path string) (*eventsFile, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("open events file %s: create directory %s: %w", path, filepath.Dir(path), err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) && pe.Path == path {
			err = pe.Err // the message names the file already
		}
		return nil, fmt.Errorf("open events file %s: %w", path, err)
	}
	return &eventsFile{f: f}, nil
}

func (e *eventsFile) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.f.Write(p)
}

func (e *eventsFile) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.f.Close()
}
