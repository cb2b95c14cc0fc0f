package store

import (
	"github.com/nexusmon/nexusmon/internal/storeapi"

	"context"
	"math"
	"time"
)

// Sample is one value of a named series (storeapi.Sample).
type Sample = storeapi.Sample

// SaveSamples stores one value per series name, all at at, in one
// transaction. A series holds one value per millisecond: saving the same
// series at the same at again replaces the value. NaN and infinite values
// mean "no reading" and are skipped (SQLite cannot store them).
func (s *Store) SaveSamples(ctx context.Context, at time.Time, values map[string]float64) error {
	if len(values) == 0 {
		return nil
	}
	return s.done(ctx, "save samples", true, s.saveSamples(ctx, toMS(at), values))
}

func (s *Store) saveSamples(ctx context.Context, at int64, values map[string]float64) error {
	if err := s.fault("save samples", FaultWrite); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO samples (series, at, value) VALUES (?, ?, ?)`)
	if err != nil {
		rollback(tx)
		return err
	}
	for series, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		if _, err := stmt.ExecContext(ctx, series, at, v); err != nil {
			rollback(tx)
			return err
		}
	}
	return tx.Commit()
}

// Samples returns the values of series at or after since, oldest first.
func (s *Store) Samples(ctx context.Context, series string, since time.Time) ([]Sample, error) {
	out, err := s.samples(ctx, series, toMS(since))
	return out, s.done(ctx, "read samples", false, err)
}

func (s *Store) samples(ctx context.Context, series string, since int64) ([]Sample, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT at, value FROM samples WHERE series = ? AND at >= ? ORDER BY at`, series, since)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Sample
	for rows.Next() {
		var (
			at int64
			v  float64
		)
		if err := rows.Scan(&at, &v); err != nil {
			return nil, err
		}
		out = append(out, Sample{At: fromMS(at), Value: v})
	}
	return out, rows.Err()
}
