//go:build unix

package config

import "syscall"

// canWrite reports why the existing file at path cannot be opened for
// writing. The store is checked with access(2) and never opened: closing any
// descriptor of a file drops the POSIX locks SQLite holds on it in this
// process, and a program that embeds the agent may load a config while its
// store is open. The events file is opened for append and closed.
func canWrite(path string, use pathUse) error {
	if !use.store {
		return openWrite(path, use)
	}
	const readWrite = 0x4 | 0x2 // R_OK | W_OK
	return syscall.Access(path, readWrite)
}
