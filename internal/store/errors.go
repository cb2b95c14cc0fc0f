package store

import (
	"github.com/nexusmon/nexusmon/internal/storeapi"

	"errors"
	"syscall"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Classes of errors, as ErrorClass returns them (storeapi's Class*).
const (
	ClassDiskFull   = storeapi.ClassDiskFull
	ClassReadOnly   = storeapi.ClassReadOnly
	ClassPermission = storeapi.ClassPermission
	ClassIO         = storeapi.ClassIO
	ClassCorrupt    = storeapi.ClassCorrupt
	ClassBusy       = storeapi.ClassBusy
	ClassOther      = storeapi.ClassOther
)

// ErrNewerSchema is returned by Open when the file's schema version is higher
// than the highest version this build knows: it was written by a newer
// nexusmon. The file is not modified.
var ErrNewerSchema = errors.New("database written by a newer nexusmon")

// ErrCorrupt is returned when the file is not a SQLite database or is
// malformed (SQLITE_NOTADB, SQLITE_CORRUPT). Open returns it with a message
// naming the path and what to do; other methods wrap it when SQLite reports
// corruption at run time.
var ErrCorrupt = errors.New("database file is not a SQLite database or is malformed")

// ErrNotFound is storeapi.ErrNotFound.
var ErrNotFound = storeapi.ErrNotFound

// IsDiskFull reports whether err was caused by a full disk or database
// (SQLITE_FULL, including the max_page_count limit) or by ENOSPC from the
// operating system.
func IsDiskFull(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENOSPC) {
		return true
	}
	return sqliteCode(err) == sqlite3.SQLITE_FULL
}

// ErrorClass returns the class of a store error: one of the Class
// constants, or "" for nil. It names the kind of failure, in words safe to
// show anywhere, without the error's text.
func ErrorClass(err error) string {
	switch {
	case err == nil:
		return ""
	case IsDiskFull(err):
		return ClassDiskFull
	case errors.Is(err, ErrCorrupt) || isCorrupt(err):
		return ClassCorrupt
	case errors.Is(err, syscall.EROFS):
		return ClassReadOnly
	case errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM):
		return ClassPermission
	case errors.Is(err, syscall.EIO):
		return ClassIO
	}
	switch sqliteCode(err) {
	case sqlite3.SQLITE_READONLY:
		return ClassReadOnly
	case sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_AUTH:
		return ClassPermission
	case sqlite3.SQLITE_IOERR:
		return ClassIO
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return ClassBusy
	}
	return ClassOther
}

// sqliteCode returns the primary SQLite result code underneath err, or 0.
// Extended result codes are on, so the primary code is the low byte.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return 0
}

// isCorrupt reports whether err says the file is not a database or is
// malformed.
func isCorrupt(err error) bool {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
		return true
	}
	return false
}
