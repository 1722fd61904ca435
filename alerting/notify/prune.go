package notify

import (
	"context"
	"fmt"
	"time"
)

// pruneEvery is how often the delivery log is trimmed.
const pruneEvery = time.Hour

// pruneDue trims the delivery log when an hour has passed since last time.
func (s *Service) pruneDue(ctx context.Context) {
	now := s.now()
	if now.Sub(s.lastPrune) < pruneEvery {
		return
	}
	s.lastPrune = now
	if n, err := s.prune(ctx, now.Add(-s.retention)); err != nil {
		s.logErr("notify: trim the delivery log", err)
	} else if n > 0 {
		s.log.Info("notify: trimmed the delivery log", "rows", n, "retention", s.retention)
	}
}

// prune deletes outbox rows queued before cutoff that are no longer pending,
// except those of alerts still escalating (their resolution must still reach
// whoever was told), and finished escalations that fired before cutoff.
func (s *Service) prune(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM notify_outbox WHERE created_at < ? AND state <> 'pending'
		AND alert_id NOT IN (SELECT alert_id FROM notify_escalations WHERE done = 0)`, ms(cutoff))
	if err != nil {
		return 0, fmt.Errorf("delete old deliveries: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM notify_escalations WHERE done = 1 AND fired_at < ?`, ms(cutoff)); err != nil {
		return n, fmt.Errorf("delete old escalations: %w", err)
	}
	return n, nil
}
