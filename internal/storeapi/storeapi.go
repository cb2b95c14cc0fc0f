// Package storeapi holds the data types of nexusmon's embedded store
// (internal/store) that cross the interfaces its users declare: outbox
// messages, state writes, samples, the store's status and its error
// classes. It imports the standard library only, so report and deliver can
// say what they need of a store without importing SQLite; internal/store
// implements their interfaces with these types.
package storeapi

import (
	"errors"
	"time"
)

// Message is one rendered Discord message waiting in the outbox of a
// destination.
type Message struct {
	ID          int64     // assigned by Enqueue; never reused
	Dest        string    // destination: "bot", "webhook"
	Priority    int       // lower is sent first: 0 alerts and errors, 1 reports
	Kind        string    // event name
	EditKey     string    // "" = a post; otherwise the live-message key it edits (edit mode)
	Body        []byte    // the rendered payload (opaque JSON)
	CreatedAt   time.Time // when it was queued; Enqueue fills in the clock's time when zero
	Attempts    int       // delivery attempts so far
	NextAttempt time.Time // not before this time; zero = now
	LastError   string    // why the last attempt failed
}

// FailedMessage is an outbox message that could not be delivered and will not
// be retried.
type FailedMessage struct {
	Message
	Reason   string    // why it was given up
	FailedAt time.Time // when it was given up
}

// KV is one key-value write of EnqueueWith.
type KV struct {
	NS, Key string
	Value   []byte
}

// Sample is one value of a named series.
type Sample struct {
	At    time.Time // UTC, millisecond precision
	Value float64
}

// Status describes the store's health. It is what /healthz and the health
// report show.
type Status struct {
	Path          string    `json:"path"`                   // the database file
	OK            bool      `json:"ok"`                     // false after a failed operation, until the same kind (read or write) succeeds again
	LastError     string    `json:"last_error,omitempty"`   // the most recent error, "" if none
	LastErrorAt   time.Time `json:"last_error_at,omitzero"` // when LastError happened
	Errors        int64     `json:"errors"`                 // errors since Open
	SchemaVersion int       `json:"schema_version"`         // the file's schema version
	SizeBytes     int64     `json:"size_bytes"`             // database file plus WAL file, refreshed at most once a second

	Writable        bool   `json:"writable"`                    // false after a failed write, until a write succeeds
	WriteErrors     int64  `json:"write_errors"`                // failed writes since Open (counted in Errors too)
	WriteErrorClass string `json:"write_error_class,omitempty"` // ErrorClass of the last failed write, "" if none
}

// Classes of store errors, as store.ErrorClass returns them.
const (
	ClassDiskFull   = "disk_full"  // no space on the file system, or the database reached its size limit
	ClassReadOnly   = "read_only"  // a read-only file system or database
	ClassPermission = "permission" // the file or its directory cannot be opened or written
	ClassIO         = "io"         // an I/O error from the operating system
	ClassCorrupt    = "corrupt"    // see ErrCorrupt
	ClassBusy       = "busy"       // locked by another connection or process for longer than the busy timeout
	ClassOther      = "other"
)

// ErrNotFound is returned by Retry and Fail when no pending outbox message has
// the given id (it was acknowledged, dropped or superseded meanwhile).
var ErrNotFound = errors.New("no such outbox message")
