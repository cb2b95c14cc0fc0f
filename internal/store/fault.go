package store

// FaultPoint names a point of a write operation where a WithFaults hook can
// make the operation fail.
type FaultPoint string

// Fault points.
const (
	// FaultWrite is the start of every write operation, before its first
	// statement.
	FaultWrite FaultPoint = "write"
	// FaultOutbox is inside the transaction of Enqueue and EnqueueWith,
	// after the key-value writes and before the outbox inserts: a failure
	// there rolls the key-value writes back, as a crash at that point would.
	FaultOutbox FaultPoint = "outbox"
)

// Fault says where a WithFaults hook is called.
type Fault struct {
	Op    string // the operation, as errors name it: "enqueue message", "put state", …
	Point FaultPoint
}

// WithFaults sets a hook called at the fault points of every write
// operation. An error it returns fails the operation exactly as an error
// from SQLite would: the transaction is rolled back, the failure is logged
// and counted in Status, and the error is returned wrapped with the
// operation. It exists for tests: a crash between two steps of a
// transaction, or a full disk (an error wrapping syscall.ENOSPC, which
// IsDiskFull and ErrorClass recognise) without filling a file system. A nil
// hook, the default, injects nothing.
func WithFaults(hook func(Fault) error) Option {
	return func(o *options) { o.faults = hook }
}

// fault returns the error the WithFaults hook injects at op's point p, or
// nil.
func (s *Store) fault(op string, p FaultPoint) error {
	if s.faults == nil {
		return nil
	}
	return s.faults(Fault{Op: op, Point: p})
}
