package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/oxywatch/oxywatch/internal/i18n"
)

// permanentError marks a send that must not be retried.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent marks err as a provider refusal that retrying cannot fix, such as
// an invalid number. Senders wrap such errors with it.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err was marked with Permanent or carries a
// Permanent() method that returns true, as the errors of the sms, email and
// webhook packages do.
func IsPermanent(err error) bool {
	var p permanentError
	if errors.As(err, &p) {
		return true
	}
	var q interface{ Permanent() bool }
	return errors.As(err, &q) && q.Permanent()
}

func (s *Service) loop(ctx context.Context) error {
	sendCtx, cancelSends := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSends()
	var wg sync.WaitGroup
	sem := make(chan struct{}, s.cfg.Workers)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return s.drain(&wg, cancelSends)
		case <-s.stop:
			return s.drain(&wg, cancelSends)
		case <-s.wake: // a commit with rows to send, or a worker free
		case <-timer.C: // escalations, retries and grouped rows falling due
		}
		s.poll(ctx, sendCtx, &wg, sem)
		timer.Reset(s.cfg.PollInterval)
	}
}

// drain waits for sends in flight up to the shutdown timeout, then cancels
// them; their rows stay pending and go out after a restart.
func (s *Service) drain(wg *sync.WaitGroup, cancel context.CancelFunc) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-time.After(s.cfg.ShutdownTimeout):
		cancel()
		<-done
		return fmt.Errorf("notify: sends still in flight after %s were cancelled", s.cfg.ShutdownTimeout)
	}
}

func (s *Service) poll(ctx, sendCtx context.Context, wg *sync.WaitGroup, sem chan struct{}) {
	if err := s.escalateDue(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("notify: escalation", "err", err)
	}
	s.updateGauges(ctx)
	s.pruneDue(ctx)
	groups, err := s.dueGroups(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("notify: read outbox", "err", err)
		}
		return
	}
	for _, g := range groups {
		if !s.claim(g.recipientKey()) {
			continue
		}
		select {
		case sem <- struct{}{}:
		default:
			s.release(g.recipientKey())
			return // every worker is busy; the next poll goes on
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.nudge() // groups that waited for this worker or address
			defer func() { <-sem }()
			defer s.release(g.recipientKey())
			s.deliver(sendCtx, g)
		}()
	}
}

// group is the rows that go to one address on one channel about one facility
// as one message. Webhook rows form one group and go one by one, in order.
type group struct {
	channel  Channel
	address  string
	facility string
}

func (g group) key() string {
	if g.channel == Webhook {
		return "webhook"
	}
	return string(g.channel) + "|" + g.address + "|" + g.facility
}

// recipientKey names the address a group goes to: one send at a time per
// address, so the rate limit counts every message before the next.
func (g group) recipientKey() string { return string(g.channel) + "|" + g.address }

func (s *Service) claim(k string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight[k] {
		return false
	}
	s.inflight[k] = true
	return true
}

func (s *Service) release(k string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inflight, k)
}

func (s *Service) dueGroups(ctx context.Context) ([]group, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT channel, address, facility FROM notify_outbox
		WHERE state = 'pending' AND not_before <= ? ORDER BY id LIMIT 500`, ms(s.now()))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	seen := map[string]bool{}
	var out []group
	for rows.Next() {
		var g group
		if err := rows.Scan(&g.channel, &g.address, &g.facility); err != nil {
			return nil, err
		}
		if !seen[g.key()] {
			seen[g.key()] = true
			out = append(out, g)
		}
	}
	return out, rows.Err()
}

// pending is one outbox row being delivered.
type pending struct {
	id        int64
	key       string
	event     string
	e         event
	contactID *int64
	lang      i18n.Lang // the contact's language as stored now; "" none chosen
	recipient string
	created   time.Time
	notBefore time.Time
	attempts  int
}

const maxGroup = 50

func (s *Service) members(ctx context.Context, g group) ([]pending, error) {
	q := `SELECT o.id, o.idem_key, o.event, o.alert, o.contact_id, COALESCE(c.language, ''), o.recipient,
		o.created_at, o.not_before, o.attempts
		FROM notify_outbox o LEFT JOIN notify_contacts c ON c.id = o.contact_id WHERE o.state = 'pending' AND `
	args := []any{}
	if g.channel == Webhook {
		q += `o.channel = 'webhook'`
	} else {
		q += `o.channel = ? AND o.address = ? AND o.facility = ?`
		args = append(args, string(g.channel), g.address, g.facility)
	}
	rows, err := s.db.QueryContext(ctx, q+fmt.Sprintf(` ORDER BY o.id LIMIT %d`, maxGroup), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pending
	for rows.Next() {
		var p pending
		var data string
		var created, notBefore int64
		if err := rows.Scan(&p.id, &p.key, &p.event, &data, &p.contactID, &p.lang, &p.recipient, &created, &notBefore, &p.attempts); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(data), &p.e); err != nil {
			return nil, fmt.Errorf("decode outbox row %d: %w", p.id, err)
		}
		p.created, p.notBefore = fromMS(created), fromMS(notBefore)
		out = append(out, p)
	}
	return out, rows.Err()
}

// deliver sends one group's message and records the outcome.
func (s *Service) deliver(ctx context.Context, g group) {
	ps, err := s.members(ctx, g)
	if err != nil || len(ps) == 0 {
		if err != nil {
			s.log.Error("notify: read outbox group", "err", err)
		}
		return
	}
	if g.channel == Webhook {
		s.sendInOrder(ctx, g, ps)
		return
	}
	if wait, err := s.rateLimited(ctx, g); err != nil || !wait.IsZero() {
		if err == nil {
			err = s.postpone(ctx, ps, wait)
		}
		s.logErr("notify: rate limit", err)
		return
	}
	if g.channel == SMS {
		ok, err := s.reserveSMS(ctx)
		if err != nil || !ok {
			if err == nil {
				err = s.overBudget(ctx, ps)
			}
			s.logErr("notify: SMS budget", err)
			return
		}
		defer s.unreserveSMS()
	}
	s.send(ctx, g, ps)
}

// sendInOrder sends rows one by one, oldest first, stopping at the first
// that is not due or will be retried, so that receivers see transitions in
// the order they happened.
func (s *Service) sendInOrder(ctx context.Context, g group, ps []pending) {
	for _, p := range ps {
		if p.notBefore.After(s.now()) || !s.send(ctx, g, []pending{p}) || ctx.Err() != nil {
			return
		}
	}
}

// send sends one message carrying ps and records the outcome; it reports
// whether the rows are done with (sent, or refused for good).
func (s *Service) send(ctx context.Context, g group, ps []pending) bool {
	msg := s.render(g.channel, g.address, ps)
	sender := s.senders[g.channel]
	if sender == nil {
		s.logErr("notify: record", s.failed(ctx, ps, fmt.Errorf("no %s sender configured", g.channel)))
		return true
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	err := sender.Send(sctx, msg)
	cancel()
	done := err == nil || IsPermanent(err)
	switch {
	case err == nil:
		s.m.sent.WithLabelValues(string(g.channel)).Inc()
		err = s.sent(context.WithoutCancel(ctx), ps, msg)
	case IsPermanent(err):
		s.m.failed.WithLabelValues(string(g.channel)).Inc()
		s.log.Warn("notify: provider refused a message", "channel", g.channel, "key", msg.Key, "err", err)
		err = s.failed(context.WithoutCancel(ctx), ps, err)
	default:
		s.m.retries.WithLabelValues(string(g.channel)).Inc()
		s.log.Info("notify: send failed, will retry", "channel", g.channel, "key", msg.Key, "err", err)
		err = s.retry(context.WithoutCancel(ctx), g.channel, ps, err)
	}
	s.logErr("notify: record", err)
	return done && err == nil
}

func (s *Service) logErr(msg string, err error) {
	if err != nil {
		s.log.Error(msg, "err", err)
	}
}

func ids(ps []pending) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprint(p.id)
	}
	return strings.Join(parts, ",")
}

func (s *Service) sent(ctx context.Context, ps []pending, m Message) error {
	text := m.Text
	if text == "" {
		text = string(m.JSON)
	}
	_, err := s.db.ExecContext(ctx, `UPDATE notify_outbox SET state = 'sent', sent_at = ?,
		sent_key = ?, text = ?, attempts = attempts + 1, last_error = '' WHERE id IN (`+ids(ps)+`)`,
		ms(s.now()), m.Key, text)
	return err
}

func (s *Service) failed(ctx context.Context, ps []pending, cause error) error {
	_, err := s.db.ExecContext(ctx, `UPDATE notify_outbox SET state = 'failed', attempts = attempts + 1,
		last_error = ? WHERE id IN (`+ids(ps)+`)`, truncate(cause.Error(), 500))
	return err
}

// retry schedules the next attempt with exponential backoff, or gives up on
// rows older than max_age.
func (s *Service) retry(ctx context.Context, ch Channel, ps []pending, cause error) error {
	now := s.now()
	var give, keep []pending
	for _, p := range ps {
		if now.Sub(p.created) >= s.cfg.MaxAge {
			give = append(give, p)
		} else {
			keep = append(keep, p)
		}
	}
	if len(give) > 0 {
		s.m.failed.WithLabelValues(string(ch)).Add(float64(len(give)))
		s.log.Warn("notify: gave up on messages", "channel", ch, "rows", len(give), "max_age", s.cfg.MaxAge, "err", cause)
		if err := s.failed(ctx, give, fmt.Errorf("gave up after %s: %w", s.cfg.MaxAge, cause)); err != nil {
			return err
		}
	}
	if len(keep) == 0 {
		return nil
	}
	next := now.Add(s.backoff(keep[0].attempts + 1))
	_, err := s.db.ExecContext(ctx, `UPDATE notify_outbox SET attempts = attempts + 1, last_error = ?,
		not_before = ? WHERE id IN (`+ids(keep)+`)`, truncate(cause.Error(), 500), ms(next))
	return err
}

// backoff is the wait after the n-th failed attempt.
func (s *Service) backoff(n int) time.Duration {
	d := s.cfg.RetryMin
	for i := 1; i < n && d < s.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, s.cfg.RetryMax)
}

// postpone holds rows back until until (the rate limit).
func (s *Service) postpone(ctx context.Context, ps []pending, until time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE notify_outbox SET not_before = ? WHERE id IN (`+ids(ps)+`)`, ms(until))
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
