package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/oxywatch/oxywatch/internal/config"
)

// escalation is one alert's schedule: the next tier to tell and when, and
// when to repeat to the tiers already told.
type escalation struct {
	alertID  int64
	step     string
	e        event
	route    string
	firedAt  time.Time
	nextTier int
	nextAt   sql.NullInt64
	repeatAt sql.NullInt64
	repeats  int
}

// schedule stores the escalation of a firing alert; next is the first tier
// not told yet.
func (s *Service) schedule(ctx context.Context, tx *sql.Tx, e event, key string, r config.Route, next int) error {
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO notify_escalations
		(alert_id, transition_key, alert, route, fired_at, next_tier, next_at, repeat_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Alert.ID, key, string(data), r.Name, ms(e.At), next, tierAt(r, next, e.At), repeatAt(r, e.At))
	if err != nil {
		return fmt.Errorf("schedule escalation: %w", err)
	}
	return nil
}

// tierAt is when tier i is due, or NULL when there is no such tier.
func tierAt(r config.Route, i int, fired time.Time) sql.NullInt64 {
	if i >= len(r.Tiers) {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ms(fired.Add(r.Tiers[i].After)), Valid: true}
}

func repeatAt(r config.Route, from time.Time) sql.NullInt64 {
	if r.Repeat <= 0 {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ms(from.Add(r.Repeat)), Valid: true}
}

// endEscalation stops an alert's escalation and repeats.
func (s *Service) endEscalation(ctx context.Context, tx *sql.Tx, alertID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE notify_escalations SET done = 1 WHERE alert_id = ?`, alertID); err != nil {
		return fmt.Errorf("end escalation: %w", err)
	}
	return nil
}

// escalateDue runs every escalation step that is due.
func (s *Service) escalateDue(ctx context.Context) error {
	now := ms(s.now())
	rows, err := s.db.QueryContext(ctx, `SELECT alert_id FROM notify_escalations WHERE done = 0
		AND ((next_at IS NOT NULL AND next_at <= ?) OR (repeat_at IS NOT NULL AND repeat_at <= ?))
		ORDER BY alert_id LIMIT 100`, now, now)
	if err != nil {
		return fmt.Errorf("due escalations: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if err := s.escalateOne(ctx, id); err != nil {
			return fmt.Errorf("escalate alert %d: %w", id, err)
		}
	}
	if len(ids) > 0 {
		s.nudge()
	}
	return rows.Err()
}

func (s *Service) escalateOne(ctx context.Context, alertID int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	esc, err := loadEscalation(ctx, tx, alertID)
	if err == sql.ErrNoRows {
		return nil // acknowledged or resolved meanwhile
	}
	if err != nil {
		return err
	}
	r := s.routeNamed(esc.route)
	now := s.now()
	if esc.nextAt.Valid && esc.nextAt.Int64 <= ms(now) {
		if err := s.nextTier(ctx, tx, &esc, r); err != nil {
			return err
		}
	}
	if esc.repeatAt.Valid && esc.repeatAt.Int64 <= ms(now) {
		if err := s.repeat(ctx, tx, &esc, r, now); err != nil {
			return err
		}
	}
	if err := saveEscalation(ctx, tx, esc); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *Service) nextTier(ctx context.Context, tx *sql.Tx, esc *escalation, r config.Route) error {
	if esc.nextTier < len(r.Tiers) {
		step := esc.step + "/tier" + strconv.Itoa(esc.nextTier)
		n, err := s.tellTier(ctx, tx, esc.e, step, evEscalation, esc.nextTier, r.Tiers[esc.nextTier])
		if err != nil {
			return err
		}
		if n > 0 {
			s.m.escalations.Inc()
			s.log.Info("notify: escalated", "alert", esc.alertID, "tier", esc.nextTier, "messages", n)
		}
	}
	esc.nextTier++
	esc.nextAt = tierAt(r, esc.nextTier, esc.firedAt)
	return nil
}

// repeat tells every tier told so far again.
func (s *Service) repeat(ctx context.Context, tx *sql.Tx, esc *escalation, r config.Route, now time.Time) error {
	esc.repeats++
	step := esc.step + "/repeat" + strconv.Itoa(esc.repeats)
	for i := 0; i < esc.nextTier && i < len(r.Tiers); i++ {
		if _, err := s.tellTier(ctx, tx, esc.e, step, evRepeat, i, r.Tiers[i]); err != nil {
			return err
		}
	}
	esc.repeatAt = repeatAt(r, now)
	return nil
}

func loadEscalation(ctx context.Context, tx *sql.Tx, alertID int64) (escalation, error) {
	esc := escalation{alertID: alertID}
	var data string
	var fired int64
	err := tx.QueryRowContext(ctx, `SELECT transition_key, alert, route, fired_at, next_tier,
		next_at, repeat_at, repeats FROM notify_escalations WHERE alert_id = ? AND done = 0`, alertID).
		Scan(&esc.step, &data, &esc.route, &fired, &esc.nextTier, &esc.nextAt, &esc.repeatAt, &esc.repeats)
	if err != nil {
		return esc, err
	}
	esc.firedAt = fromMS(fired)
	if err := json.Unmarshal([]byte(data), &esc.e); err != nil {
		return esc, fmt.Errorf("decode escalation: %w", err)
	}
	return esc, nil
}

func saveEscalation(ctx context.Context, tx *sql.Tx, esc escalation) error {
	_, err := tx.ExecContext(ctx, `UPDATE notify_escalations SET next_tier = ?, next_at = ?,
		repeat_at = ?, repeats = ? WHERE alert_id = ?`,
		esc.nextTier, esc.nextAt, esc.repeatAt, esc.repeats, esc.alertID)
	if err != nil {
		return fmt.Errorf("save escalation: %w", err)
	}
	return nil
}
