package notify

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Delivery is one outbox row: who was (or is to be) told what, and how it went.
type Delivery struct {
	ID        int64     `json:"id"`
	Key       string    `json:"key"`
	AlertID   int64     `json:"alert_id"`
	Event     string    `json:"event"` // firing, escalation, repeat, acknowledged, resolved
	Facility  string    `json:"facility"`
	ContactID *int64    `json:"contact_id,omitempty"`
	Recipient string    `json:"recipient"`
	Channel   Channel   `json:"channel"`
	Address   string    `json:"address"`
	Tier      int       `json:"tier"`
	State     string    `json:"state"` // pending, sent, failed, suppressed
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	SentAt    time.Time `json:"sent_at,omitzero"`
	SentKey   string    `json:"sent_key,omitempty"` // key of the message that carried it
	Text      string    `json:"text,omitempty"`     // what was sent
}

// Delivery states.
const (
	StatePending    = "pending"
	StateSent       = "sent"
	StateFailed     = "failed"
	StateSuppressed = "suppressed"
)

// DeliveryFilter narrows Deliveries; zero fields match all. Results come
// newest first; pass the last ID seen as BeforeID for the next page.
type DeliveryFilter struct {
	AlertID   int64
	ContactID int64
	Facility  string
	Channel   Channel
	State     string
	Since     time.Time
	Until     time.Time
	BeforeID  int64
	Limit     int // default 100, at most 1000
}

// Deliveries reads the delivery log.
func (s *Service) Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	where, args := f.where()
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	rows, err := s.db.QueryContext(ctx, `SELECT id, idem_key, alert_id, event, facility, contact_id,
		recipient, channel, address, tier, state, attempts, last_error, created_at, sent_at, sent_key, text
		FROM notify_outbox`+where+fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, limit), args...)
	if err != nil {
		return nil, fmt.Errorf("read deliveries: %w", err)
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func (f DeliveryFilter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		conds = append(conds, cond)
		args = append(args, v)
	}
	if f.AlertID != 0 {
		add("alert_id = ?", f.AlertID)
	}
	if f.ContactID != 0 {
		add("contact_id = ?", f.ContactID)
	}
	if f.Facility != "" {
		add("facility = ?", f.Facility)
	}
	if f.Channel != "" {
		add("channel = ?", string(f.Channel))
	}
	if f.State != "" {
		add("state = ?", f.State)
	}
	if !f.Since.IsZero() {
		add("created_at >= ?", ms(f.Since))
	}
	if !f.Until.IsZero() {
		add("created_at < ?", ms(f.Until))
	}
	if f.BeforeID != 0 {
		add("id < ?", f.BeforeID)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func scanDelivery(rows *sql.Rows) (Delivery, error) {
	var d Delivery
	var created int64
	var sent sql.NullInt64
	err := rows.Scan(&d.ID, &d.Key, &d.AlertID, &d.Event, &d.Facility, &d.ContactID, &d.Recipient,
		&d.Channel, &d.Address, &d.Tier, &d.State, &d.Attempts, &d.LastError, &created, &sent, &d.SentKey, &d.Text)
	if err != nil {
		return d, fmt.Errorf("scan delivery: %w", err)
	}
	d.CreatedAt = fromMS(created)
	if sent.Valid {
		d.SentAt = fromMS(sent.Int64)
	}
	return d, nil
}
