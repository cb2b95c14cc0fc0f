//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// ErrLocked means another process (another nexusmon, or `nexusmon run`
// while a second one starts) holds the store.
var ErrLocked = errors.New("the store is in use by another nexusmon process")

// fileLock is an exclusive advisory lock (flock) on the database file. It
// does not interfere with SQLite's own locks (fcntl record locks are
// separate on Linux), writes nothing, and the kernel releases it when the
// process exits, however it exits.
type fileLock struct{ f *os.File }

func lockFile(path string) (*fileLock, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close() // best effort: the lock error is what matters
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("lock: %w", err)
	}
	return &fileLock{f: f}, nil
}

func (l *fileLock) release() {
	if l == nil {
		return
	}
	l.f.Close() // closing the descriptor releases the flock
}
