package notify

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

const budgetReason = "daily SMS budget exhausted"

// rateLimited returns when the group may next go out if its recipient has
// had rate_limit_per_hour messages on this channel in the past hour, or the
// zero time when it may go now. Webhooks are not limited.
func (s *Service) rateLimited(ctx context.Context, g group) (time.Time, error) {
	if s.cfg.RateLimit <= 0 || g.channel == Webhook {
		return time.Time{}, nil
	}
	since := s.now().Add(-time.Hour)
	var n int
	var oldest sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(DISTINCT sent_key), MIN(sent_at) FROM notify_outbox
		WHERE channel = ? AND address = ? AND state = 'sent' AND sent_at > ?`,
		string(g.channel), g.address, ms(since)).Scan(&n, &oldest)
	if err != nil {
		return time.Time{}, fmt.Errorf("count recent messages: %w", err)
	}
	if n < s.cfg.RateLimit || !oldest.Valid {
		return time.Time{}, nil
	}
	s.m.rateLimited.WithLabelValues(string(g.channel)).Inc()
	return fromMS(oldest.Int64).Add(time.Hour), nil
}

// startOfDay is local midnight of t in the configured zone.
func (s *Service) startOfDay(t time.Time) time.Time {
	l := t.In(s.loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, s.loc)
}

// smsSentToday counts SMS sent since local midnight, a grouped message once.
func (s *Service) smsSentToday(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(DISTINCT sent_key) FROM notify_outbox
		WHERE channel = 'sms' AND state = 'sent' AND sent_at >= ?`, ms(s.startOfDay(s.now()))).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count SMS sent today: %w", err)
	}
	return n, nil
}

// reserveSMS takes one SMS from today's budget; false when none is left.
func (s *Service) reserveSMS(ctx context.Context) (bool, error) {
	if s.cfg.SMSDailyBudget <= 0 {
		return true, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.smsSentToday(ctx)
	if err != nil {
		return false, err
	}
	if n+s.smsOut >= s.cfg.SMSDailyBudget {
		s.m.budgetExhausted.Set(1)
		return false, nil
	}
	s.m.budgetExhausted.Set(0)
	s.smsOut++
	return true, nil
}

func (s *Service) unreserveSMS() {
	if s.cfg.SMSDailyBudget <= 0 {
		return
	}
	s.mu.Lock()
	s.smsOut--
	s.mu.Unlock()
}

// overBudget marks SMS rows suppressed and queues an email to each of their
// contacts who has an address, in one transaction.
func (s *Service) overBudget(ctx context.Context, ps []pending) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE notify_outbox SET state = 'suppressed', last_error = ?
		WHERE id IN (`+ids(ps)+`)`, budgetReason); err != nil {
		return fmt.Errorf("suppress SMS: %w", err)
	}
	for _, p := range ps {
		if err := s.emailInstead(ctx, tx, p); err != nil {
			return err
		}
	}
	s.m.suppressed.WithLabelValues(string(SMS), "budget").Add(float64(len(ps)))
	s.m.overBudget.Add(float64(len(ps)))
	s.log.Warn("notify: "+budgetReason+", telling by email only", "messages", len(ps), "budget", s.cfg.SMSDailyBudget)
	if err := tx.Commit(); err != nil {
		return err
	}
	s.nudge()
	return nil
}

func (s *Service) emailInstead(ctx context.Context, tx *sql.Tx, p pending) error {
	if p.contactID == nil || !s.hasSender(Email) {
		return nil
	}
	cs, err := queryContacts(ctx, tx, `WHERE id = ?`, *p.contactID)
	if err != nil || len(cs) == 0 || cs[0].Email == "" {
		return err
	}
	var tier int
	if err := tx.QueryRowContext(ctx, `SELECT tier FROM notify_outbox WHERE id = ?`, p.id).Scan(&tier); err != nil {
		return err
	}
	step := strings.TrimSuffix(p.key, "|contact:"+fmt.Sprint(*p.contactID)+"|sms")
	r := s.contactRow(p.e, step, p.event, tier, cs[0], Email)
	r.notBefore = s.now()
	return s.insertRow(ctx, tx, r)
}
