package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// Events an outbox row can carry.
const (
	evFiring     = "firing"
	evEscalation = "escalation"
	evRepeat     = "repeat"
	evAcked      = "acknowledged"
	evResolved   = "resolved"
)

// Enqueue routes transitions and writes their outbox rows and escalation
// schedule in tx, the caller's transaction that stores the transitions. It
// sends nothing: the workers do once the caller says tx has committed
// (Committed), or at the next poll. Enqueueing the same transition twice
// writes nothing the second time.
func (s *Service) Enqueue(ctx context.Context, tx *sql.Tx, ts []plant.Transition) error {
	for _, t := range ts {
		if err := s.enqueueOne(ctx, tx, t); err != nil {
			return fmt.Errorf("notify: enqueue %s: %w", t.Key(), err)
		}
	}
	return nil
}

// Committed wakes the workers: the transaction Enqueue wrote in has
// committed, so its rows are there to read. The alerting writer calls it
// after each commit (alerting.Committer).
func (s *Service) Committed() { s.nudge() }

func (s *Service) enqueueOne(ctx context.Context, tx *sql.Tx, t plant.Transition) error {
	if t.To == plant.AlertPending || (t.To == plant.AlertResolved && (t.From == plant.AlertPending || t.From == "")) {
		return nil // never shown to anybody
	}
	e := s.newEvent(ctx, t)
	if err := s.toWebhook(ctx, tx, e, t.Key()); err != nil {
		return err
	}
	switch t.To {
	case plant.AlertFiring:
		return s.fire(ctx, tx, e, t.Key())
	case plant.AlertAcknowledged, plant.AlertResolved:
		if err := s.endEscalation(ctx, tx, t.Alert.ID); err != nil {
			return err
		}
		if err := s.dropUnsentEscalations(ctx, tx, t.Alert.ID, string(t.To)); err != nil {
			return err
		}
		return s.tellWhoKnew(ctx, tx, e, t.Key(), string(t.To))
	}
	return nil
}

func (s *Service) newEvent(ctx context.Context, t plant.Transition) event {
	name, kind := s.lookup(ctx, t.Alert)
	if name == "" {
		name = t.Alert.Facility
	}
	at := t.At
	if at.IsZero() {
		at = s.now()
	}
	return event{Alert: t.Alert, From: t.From, To: t.To, At: at.UTC(), FacilityName: name, Kind: kind}
}

// fire tells the first tier that has anybody and schedules the next tiers.
func (s *Service) fire(ctx context.Context, tx *sql.Tx, e event, key string) error {
	r := s.route(e)
	told := -1
	for i, t := range r.Tiers {
		n, err := s.tellTier(ctx, tx, e, key, evFiring, i, t)
		if err != nil {
			return err
		}
		if n > 0 {
			told = i
			break
		}
	}
	if told < 0 {
		s.m.unrouted.Inc()
		s.log.Warn("notify: nobody to tell about an alert", "alert", e.Alert.ID, "facility", e.Alert.Facility, "route", r.Name)
	}
	return s.schedule(ctx, tx, e, key, r, told+1)
}

// tellTier queues the tier's messages and returns how many it queued.
func (s *Service) tellTier(ctx context.Context, tx *sql.Tx, e event, step, ev string, tier int, t config.Tier) (int, error) {
	contacts, err := s.tierContacts(ctx, tx, t, e.Alert)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range contacts {
		for _, ch := range tierChannels(t) {
			if address(&c, ch) == "" || !s.hasSender(ch) {
				continue
			}
			row := s.contactRow(e, step, ev, tier, c, ch)
			if err := s.insertRow(ctx, tx, row); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// outRow is one outbox row to insert.
type outRow struct {
	step      string // transition key, plus /tierN or /repeatN
	event     string
	e         event
	contactID sql.NullInt64
	recipient string
	channel   Channel
	address   string
	tier      int
	notBefore time.Time
}

func (r outRow) key() string {
	who := "webhook"
	if r.contactID.Valid {
		who = "contact:" + strconv.FormatInt(r.contactID.Int64, 10)
	}
	return r.step + "|" + who + "|" + string(r.channel)
}

func (s *Service) contactRow(e event, step, ev string, tier int, c Contact, ch Channel) outRow {
	return outRow{
		step: step, event: ev, e: e, contactID: sql.NullInt64{Int64: c.ID, Valid: true},
		recipient: c.Name, channel: ch, address: address(&c, ch), tier: tier,
		notBefore: s.now().Add(s.cfg.GroupWindow),
	}
}

func (s *Service) insertRow(ctx context.Context, tx *sql.Tx, r outRow) error {
	data, err := json.Marshal(r.e)
	if err != nil {
		return err
	}
	now := s.now()
	_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO notify_outbox
		(idem_key, alert_id, transition_key, event, alert, at, facility, ack_code, contact_id,
		 recipient, channel, address, tier, created_at, not_before)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.key(), r.e.Alert.ID, r.step, r.event, string(data), ms(r.e.At), r.e.Alert.Facility,
		r.e.Alert.AckCode, r.contactID, r.recipient, string(r.channel), r.address, r.tier,
		ms(now), ms(r.notBefore))
	if err != nil {
		return fmt.Errorf("insert outbox row: %w", err)
	}
	return nil
}

// toWebhook queues every transition for the webhook, when there is one.
func (s *Service) toWebhook(ctx context.Context, tx *sql.Tx, e event, key string) error {
	if !s.hasSender(Webhook) {
		return nil
	}
	return s.insertRow(ctx, tx, outRow{
		step: key, event: string(e.To), e: e, recipient: "webhook", channel: Webhook,
		address: "webhook", notBefore: s.now(),
	})
}

// tellWhoKnew tells everyone who was told the alert fired that it was
// acknowledged or resolved, on the channels they were told on.
func (s *Service) tellWhoKnew(ctx context.Context, tx *sql.Tx, e event, key, ev string) error {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT contact_id, recipient, channel, address
		FROM notify_outbox WHERE alert_id = ? AND contact_id IS NOT NULL
		AND event IN ('firing', 'escalation', 'repeat') AND state IN ('pending', 'sent')`, e.Alert.ID)
	if err != nil {
		return fmt.Errorf("find who was told: %w", err)
	}
	var told []outRow
	for rows.Next() {
		r := outRow{step: key, event: ev, e: e, notBefore: s.now().Add(s.cfg.GroupWindow)}
		if err := rows.Scan(&r.contactID, &r.recipient, &r.channel, &r.address); err != nil {
			rows.Close()
			return fmt.Errorf("find who was told: %w", err)
		}
		if ev == evAcked && r.recipient == e.Alert.AckedBy {
			continue // the one who acknowledged knows
		}
		told = append(told, r)
	}
	rows.Close()
	for _, r := range told {
		if err := s.insertRow(ctx, tx, r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// dropUnsentEscalations suppresses escalation and repeat messages of an alert
// still waiting in the outbox when it is acknowledged or resolved: nobody
// needs to be woken for it any more.
func (s *Service) dropUnsentEscalations(ctx context.Context, tx *sql.Tx, alertID int64, why string) error {
	rows, err := tx.QueryContext(ctx, `UPDATE notify_outbox SET state = 'suppressed', last_error = ?
		WHERE alert_id = ? AND state = 'pending' AND event IN ('escalation', 'repeat') RETURNING channel`,
		"alert "+why+" before it was sent", alertID)
	if err != nil {
		return fmt.Errorf("drop unsent escalations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ch string
		if err := rows.Scan(&ch); err != nil {
			return fmt.Errorf("drop unsent escalations: %w", err)
		}
		s.m.suppressed.WithLabelValues(ch, why).Inc()
	}
	return rows.Err()
}
