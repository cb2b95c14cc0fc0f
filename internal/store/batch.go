package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// Write-behind of history (WithFlushInterval). With an interval, SaveReport,
// SaveReportAndSamples and SaveSamples copy what they are given into a
// pending batch and return; the batch is committed in one transaction
// when its oldest save is the interval old, when it holds maxBatchSaves
// saves or maxBatchBytes of report data, before every read of history or
// samples and Prune, and in Close. A commit per report rewrote the same
// leaf pages of reports, its two indexes and samples into the WAL every
// second: most of the store's CPU.

// The caps of one batch: a save that reaches one commits the batch before
// it returns.
const (
	maxBatchSaves = 64
	maxBatchBytes = 1 << 20
)

// maxKeptBatchBytes bounds the report data buffer a committed batch keeps
// for the next one.
const maxKeptBatchBytes = 64 << 10

// opFlush names a batch's commit in errors, logs and Fault.Op.
const opFlush = "save history"

// WithFlushInterval makes history writes (SaveReport, SaveReportAndSamples,
// SaveSamples) write-behind: a save is kept in memory and committed with
// the others of the last d in one transaction (see batch.go for when else
// a batch is committed). A crash loses at most the last d of history;
// Close commits what is pending. A failed commit is counted in Status as a
// failed write, logged with what was lost, and returned by the next save.
// 0, the default, commits every save before it returns.
func WithFlushInterval(d time.Duration) Option {
	return func(o *options) { o.flushInterval = d }
}

// pendingReport is one report of a batch; its data is data[start:end] of
// the batch.
type pendingReport struct {
	kind       string
	at         int64
	start, end int
}

// batch is the history saved and not yet committed, in save order.
type batch struct {
	reports []pendingReport
	data    []byte // the reports' data, one after another
	samples []any  // sample rows: (series, at, value) triples
	// rowEnds ends each save's rows in samples: they are inserted save by
	// save, so that the inserts prepared are those of a save's size, which
	// repeats from report to report, not of the batch's, which depends on
	// how many reports it holds (a new size prepared, and parsed, a new
	// statement every few commits).
	rowEnds []int
	saves   int
}

func (b *batch) full() bool {
	return b.saves >= maxBatchSaves || len(b.data) >= maxBatchBytes
}

// reset empties b for use again, keeping its buffers unless large.
func (b *batch) reset() {
	clear(b.reports)
	clear(b.samples)
	b.reports, b.samples, b.rowEnds, b.saves = b.reports[:0], b.samples[:0], b.rowEnds[:0], 0
	b.data = b.data[:0]
	if cap(b.data) > maxKeptBatchBytes {
		b.data = nil
	}
}

// writeBehind is the Store's part for WithFlushInterval.
type writeBehind struct {
	interval time.Duration // 0: no write-behind

	// flushMu is held from taking the pending batch to the end of its
	// commit: one flush at a time, batches committed in order.
	flushMu sync.Mutex

	mu     sync.Mutex // guards the fields below
	pend   *batch     // never nil
	spare  *batch     // a committed batch, for use again; may be nil
	gen    uint64     // incremented whenever pend is taken
	timer  *time.Timer
	err    error // a failed commit no save has returned yet
	closed bool  // Close began: saves write directly (and fail)
	// timers counts timer callbacks armed and not yet finished, so that
	// Close can wait for them.
	timers sync.WaitGroup

	// afterFlush, when set (tests), is called after every commit of a
	// batch with its number of saves and the commit's error.
	afterFlush func(saves int, err error)
}

// buffer adds one save to the pending batch: a report of kind (when
// report) with a copy of data, and the finite values (sampleArgs). It returns
// false when the store does not buffer (no flush interval, or closing): the
// caller writes itself. Otherwise the error is that of a commit that failed
// since the last save, already counted, or ctx's when it is done.
func (s *Store) buffer(ctx context.Context, op string, at int64, kind string, report bool, data []byte, values map[string]float64) (bool, error) {
	w := &s.wb
	if w.interval <= 0 {
		return false, nil
	}
	if err := ctx.Err(); err != nil {
		return true, s.done(ctx, op, true, err)
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return false, nil
	}
	b := w.pend
	rows := len(b.samples)
	b.samples = appendSampleArgs(b.samples, at, values)
	if !report && len(b.samples) == rows { // nothing to save
		w.mu.Unlock()
		return true, s.takeFlushErr()
	}
	if len(b.samples) > rows {
		b.rowEnds = append(b.rowEnds, len(b.samples))
	}
	if b.saves == 0 && w.timer == nil {
		w.timers.Add(1)
		gen := w.gen
		w.timer = time.AfterFunc(w.interval, func() {
			defer w.timers.Done()
			s.flushBatch(context.Background(), &gen)
		})
	}
	if report {
		start := len(b.data)
		b.data = append(b.data, data...)
		b.reports = append(b.reports, pendingReport{kind: kind, at: at, start: start, end: len(b.data)})
	}
	b.saves++
	full := b.full()
	w.mu.Unlock()
	if full {
		s.flushBatch(ctx, nil)
	}
	return true, s.takeFlushErr()
}

// takeFlushErr returns, and forgets, the error of a failed commit no save
// has returned yet.
func (s *Store) takeFlushErr() error {
	s.wb.mu.Lock()
	defer s.wb.mu.Unlock()
	err := s.wb.err
	s.wb.err = nil
	return err
}

// flush commits the pending batch, if any, before an operation that must
// see it. Its failure is counted and logged, and returned by the next save,
// not to the caller: what was lost is lost, and the caller goes on.
func (s *Store) flush(ctx context.Context) {
	if s.wb.interval > 0 {
		s.flushBatch(ctx, nil)
	}
}

// flushBatch commits the pending batch in one transaction. With gen (the
// timer), only the batch of that generation: one committed meanwhile
// is not the timer's any more. A commit that has begun is not cancelled
// (writeCtx); a ctx done before it begins leaves the batch pending.
func (s *Store) flushBatch(ctx context.Context, gen *uint64) {
	w := &s.wb
	ctx, err := writeCtx(ctx)
	if err != nil {
		return
	}
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	w.mu.Lock()
	b := w.pend
	if b.saves == 0 || (gen != nil && *gen != w.gen) {
		w.mu.Unlock()
		return
	}
	w.pend, w.spare = w.spare, nil
	if w.pend == nil {
		w.pend = &batch{}
	}
	w.gen++
	if w.timer != nil {
		if w.timer.Stop() { // its callback will not run
			w.timers.Done()
		}
		w.timer = nil
	}
	w.mu.Unlock()

	err = s.commitBatch(ctx, b)
	if err != nil {
		rows := len(b.samples) / 3
		err = s.done(ctx, opFlush, true, fmt.Errorf("%s and %s lost: %w", count(len(b.reports), "report"), count(rows, "sample"), err),
			"reports_lost", len(b.reports), "samples_lost", rows)
	} else {
		_ = s.done(ctx, opFlush, true, nil) // records the success; returns nil
	}
	if w.afterFlush != nil {
		w.afterFlush(b.saves, err)
	}
	b.reset()
	w.mu.Lock()
	w.spare = b
	if err != nil && w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
}

// commitBatch writes b in one transaction. The statements are prepared
// before it begins (see sampleStmts).
func (s *Store) commitBatch(ctx context.Context, b *batch) error {
	if err := s.fault(opFlush, FaultWrite); err != nil {
		return err
	}
	rst, err := s.stmt(ctx, insertReportSQL)
	if err != nil {
		return err
	}
	sts := make([][]*sql.Stmt, len(b.rowEnds))
	start := 0
	for i, end := range b.rowEnds {
		if sts[i], err = s.sampleStmts(ctx, b.samples[start:end]); err != nil {
			return err
		}
		start = end
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if len(b.reports) > 0 {
		st := tx.StmtContext(ctx, rst)
		for _, r := range b.reports {
			data := b.data[r.start:r.end]
			if data == nil {
				data = []byte{} // an empty report, not NULL
			}
			if _, err := st.ExecContext(ctx, r.kind, r.at, data); err != nil {
				rollback(tx)
				return err
			}
		}
	}
	start = 0
	for i, end := range b.rowEnds {
		if err := insertSamples(ctx, tx, sts[i], b.samples[start:end]); err != nil {
			rollback(tx)
			return err
		}
		start = end
	}
	return tx.Commit()
}

// closeBatches commits the pending batch and stops write-behind (Close):
// later saves write directly. It returns the error of a failed commit no
// save returned.
func (s *Store) closeBatches() error {
	w := &s.wb
	if w.interval <= 0 {
		return nil
	}
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	s.flushBatch(context.Background(), nil)
	w.timers.Wait()
	return s.takeFlushErr()
}

// count returns "1 report", "2 reports".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
