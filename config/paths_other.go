//go:build !unix

package config

// canWrite reports why the existing file at path cannot be opened for
// writing: it opens the file as the agent does and closes it.
func canWrite(path string, use pathUse) error { return openWrite(path, use) }
