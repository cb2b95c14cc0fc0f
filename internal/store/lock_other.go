//go:build !unix

package store

import "errors"

// ErrLocked means another process holds the store (never returned on
// systems without flock).
var ErrLocked = errors.New("the store is in use by another nexusmon process")

type fileLock struct{}

func lockFile(string) (*fileLock, error) { return &fileLock{}, nil }

func (l *fileLock) release() {}
