package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestStore_Concurrent runs producers, consumers and other writers on one
// store at once. Consumers may see the same head and ack it twice; every
// message must still be seen and the outbox must end empty.
func TestStore_Concurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)

	const (
		producers = 4
		perProd   = 25
		consumers = 3
	)
	var (
		wg         sync.WaitGroup
		produced   sync.WaitGroup
		done       atomic.Bool
		superseded atomic.Int64
		seen       sync.Map // id -> struct{}
		errs       = make(chan error, producers+consumers+1)
	)
	for p := range producers {
		wg.Add(1)
		produced.Add(1)
		go func() {
			defer wg.Done()
			defer produced.Done()
			for i := range perProd {
				m := Message{Dest: "bot", Priority: i % 2, Kind: fmt.Sprintf("p%d-%d", p, i), Body: []byte("{}")}
				if i%5 == 0 {
					m.EditKey = fmt.Sprintf("live-%d", p)
				}
				_, n, err := s.Enqueue(ctx, m)
				if err != nil {
					errs <- err
					return
				}
				superseded.Add(int64(n))
			}
		}()
	}
	for range consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				m, ok, err := s.Head(ctx, "bot")
				if err != nil {
					errs <- err
					return
				}
				if !ok {
					if done.Load() {
						return
					}
					time.Sleep(time.Millisecond) // wait for producers without spinning
					continue
				}
				seen.Store(m.ID, struct{}{})
				if err := s.Ack(ctx, m.ID); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 25 {
			at := t0.Add(time.Duration(i) * time.Second)
			if err := s.SaveReport(ctx, at, "sys", []byte("{}")); err != nil {
				errs <- err
				return
			}
			if err := s.Put(ctx, "cursor", "bot", []byte(fmt.Sprint(i))); err != nil {
				errs <- err
				return
			}
			_ = s.Status()
		}
	}()
	produced.Wait()
	done.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	if d, err := s.Depth(ctx, "bot"); err != nil || d != 0 {
		t.Errorf("Depth at the end = %d, %v; want 0", d, err)
	}
	var n int
	seen.Range(func(any, any) bool { n++; return true })
	// A superseded edit may or may not have been seen by a consumer before
	// it was replaced; every other message must have been.
	total, least := producers*perProd, producers*perProd-int(superseded.Load())
	if n < least || n > total {
		t.Errorf("consumers saw %d distinct messages, want between %d and %d", n, least, total)
	}
	if st := s.Status(); !st.OK || st.Errors != 0 {
		t.Errorf("Status = %+v", st)
	}
	if recs, err := s.Reports(ctx, "sys", time.Time{}, 0); err != nil || len(recs) != 25 {
		t.Errorf("Reports = %d, %v; want 25", len(recs), err)
	}
}
