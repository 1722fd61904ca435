package alerting

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// Silence mutes the notifications of alerts it matches (plant.Silence).
type Silence = plant.Silence

// silences owns the silences: their table and its in-memory copy, which
// muting reads on the hot path. Its lock is a leaf: it calls nothing while
// holding it, and writes the table without it.
type silences struct {
	db *sql.DB

	mu   sync.RWMutex
	list []Silence
	n    atomic.Int32 // len(list), read without the lock on the hot path
}

func newSilences(db *sql.DB) *silences { return &silences{db: db} }

func (s *silences) set(list []Silence) {
	s.mu.Lock()
	s.list = list
	s.n.Store(int32(len(list)))
	s.mu.Unlock()
}

func (s *silences) add(x Silence) {
	s.mu.Lock()
	s.list = append(s.list, x)
	s.n.Store(int32(len(s.list)))
	s.mu.Unlock()
}

func (s *silences) remove(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.list, func(x Silence) bool { return x.ID == id })
	if i < 0 {
		return false
	}
	s.list = slices.Delete(s.list, i, i+1)
	s.n.Store(int32(len(s.list)))
	return true
}

func (s *silences) all() []Silence {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.list)
}

// matches reports whether an active silence mutes an alert of rule on dev.
func (s *silences) matches(dev plant.DeviceID, facility, region, rule string, now int64) bool {
	return s.find(now, func(x *Silence) bool {
		return (x.Rule == "" || x.Rule == rule) && x.MatchesDevice(dev, facility, region)
	})
}

// maintenance reports whether an active maintenance silence covers dev.
func (s *silences) maintenance(dev plant.DeviceID, facility, region string, now int64) bool {
	return s.find(now, func(x *Silence) bool { return x.Maintenance && x.MatchesDevice(dev, facility, region) })
}

func (s *silences) find(now int64, fn func(*Silence) bool) bool {
	if s.n.Load() == 0 {
		return false
	}
	t := time.Unix(0, now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i := range s.list {
		if x := &s.list[i]; x.Active(t) && fn(x) {
			return true
		}
	}
	return false
}

// stored lists every silence in the table, past ones included, newest
// first.
func (s *silences) stored(ctx context.Context) ([]Silence, error) {
	return querySilences(ctx, s.db)
}

// load reads the table into memory (at start).
func (s *silences) load(ctx context.Context) error {
	list, err := s.stored(ctx)
	if err != nil {
		return err
	}
	s.set(list)
	return nil
}

func querySilences(ctx context.Context, db *sql.DB) ([]Silence, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, device, facility, region, rule, starts_at, ends_at,
		comment, maintenance, created_by, created_at FROM alerting_silences ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list silences: %w", err)
	}
	defer rows.Close()
	out := []Silence{}
	for rows.Next() {
		s, err := scanSilence(rows)
		if err != nil {
			return nil, fmt.Errorf("list silences: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func scanSilence(sc interface{ Scan(...any) error }) (Silence, error) {
	var s Silence
	var starts, ends, created int64
	err := sc.Scan(&s.ID, &s.Device, &s.Facility, &s.Region, &s.Rule, &starts, &ends, &s.Comment,
		&s.Maintenance, &s.CreatedBy, &created)
	s.StartsAt, s.EndsAt, s.CreatedAt = unixUTC(starts), unixUTC(ends), fromNanos(created)
	return s, err
}

// create stores a silence and starts applying it (see
// Engine.CreateSilence).
func (sil *silences) create(ctx context.Context, s Silence, now time.Time) (Silence, error) {
	if s.StartsAt.IsZero() {
		s.StartsAt = now
	}
	if err := validateSilence(&s); err != nil {
		return s, err
	}
	s.StartsAt, s.EndsAt, s.CreatedAt = s.StartsAt.UTC(), s.EndsAt.UTC(), now
	err := store.InTx(ctx, sil.db, func(tx *sql.Tx) (string, error) {
		res, err := tx.ExecContext(ctx, `INSERT INTO alerting_silences (device, facility, region, rule,
			starts_at, ends_at, comment, maintenance, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.Device, s.Facility, s.Region, s.Rule, s.StartsAt.UnixNano(), s.EndsAt.UnixNano(), s.Comment,
			s.Maintenance, s.CreatedBy, s.CreatedAt.UnixNano())
		if err != nil {
			return "", err
		}
		s.ID, err = res.LastInsertId()
		return strconv.FormatInt(s.ID, 10), err
	})
	if err != nil {
		return s, fmt.Errorf("create silence: %w", err)
	}
	sil.add(s)
	return s, nil
}

func validateSilence(s *Silence) error {
	if s.Device == "" && s.Facility == "" && s.Region == "" && s.Rule == "" {
		return fmt.Errorf("%w: a silence needs at least one matcher (device, facility, region or rule)", ErrInvalid)
	}
	if s.Rule != "" && !knownRule(s.Rule) {
		return fmt.Errorf("%w: unknown rule %q", ErrInvalid, s.Rule)
	}
	if !s.EndsAt.After(s.StartsAt) {
		return fmt.Errorf("%w: ends_at %s is not after starts_at %s", ErrInvalid,
			s.EndsAt.Format(time.RFC3339), s.StartsAt.Format(time.RFC3339))
	}
	return nil
}

func knownRule(name string) bool {
	_, ok := ruleKeys[name]
	return ok
}

// delete removes a silence from the table and from memory.
func (sil *silences) delete(ctx context.Context, id int64) error {
	err := store.InTx(ctx, sil.db, func(tx *sql.Tx) (string, error) {
		target := strconv.FormatInt(id, 10)
		res, err := tx.ExecContext(ctx, `DELETE FROM alerting_silences WHERE id = ?`, id)
		if err != nil {
			return target, fmt.Errorf("delete silence %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return target, fmt.Errorf("silence %d: %w", id, ErrNotFound)
		}
		return target, nil
	})
	if err != nil {
		return err
	}
	sil.remove(id)
	return nil
}

// end ends a silence at now (see Engine.EndSilence).
func (sil *silences) end(ctx context.Context, id int64, now time.Time) (s Silence, kept bool, err error) {
	i := -1
	list := sil.all()
	for j := range list {
		if list[j].ID == id {
			i = j
		}
	}
	if i < 0 {
		return s, false, fmt.Errorf("silence %d: %w", id, ErrNotFound)
	}
	s = list[i]
	if !s.EndsAt.After(now) {
		return s, false, fmt.Errorf("silence %d already ended at %s: %w", id, s.EndsAt.Format(time.RFC3339), ErrConflict)
	}
	kept = s.StartsAt.Before(now)
	err = store.InTx(ctx, sil.db, func(tx *sql.Tx) (string, error) {
		target := strconv.FormatInt(id, 10)
		q, args := `DELETE FROM alerting_silences WHERE id = ?`, []any{id}
		if kept {
			q, args = `UPDATE alerting_silences SET ends_at = ? WHERE id = ?`, []any{now.UnixNano(), id}
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return target, fmt.Errorf("end silence %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return target, fmt.Errorf("silence %d: %w", id, ErrNotFound)
		}
		return target, nil
	})
	if err != nil {
		return s, false, err
	}
	sil.remove(id)
	if kept {
		s.EndsAt = now
		sil.add(s)
	}
	return s, kept, nil
}
