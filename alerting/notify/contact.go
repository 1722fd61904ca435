package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oxywatch/oxywatch/internal/store"
)

// Contact is a person who may be told about alerts. Facilities and Regions
// give the contact's scope: a contact listing neither is national.
type Contact struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Phone      string    `json:"phone,omitempty"` // E.164, e.g. +256772123456
	Email      string    `json:"email,omitempty"`
	Role       string    `json:"role,omitempty"` // free text, e.g. facility_engineer
	Regions    []string  `json:"regions"`
	Facilities []string  `json:"facilities"`
	OnCall     string    `json:"on_call,omitempty"` // "HH:MM-HH:MM" local; empty is always
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// ValidE164 reports whether s is a phone number in E.164 form.
func ValidE164(s string) bool { return e164.MatchString(s) }

var hhmm = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$`)

// Validate checks a contact's fields; errors wrap ErrInvalid.
func (c *Contact) Validate() error {
	var errs []string
	if strings.TrimSpace(c.Name) == "" {
		errs = append(errs, "name must not be empty")
	}
	if c.Phone != "" && !ValidE164(c.Phone) {
		errs = append(errs, fmt.Sprintf("phone %q is not E.164 such as +256772123456", c.Phone))
	}
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email {
			errs = append(errs, fmt.Sprintf("email %q is not an address", c.Email))
		}
	}
	if c.Phone == "" && c.Email == "" {
		errs = append(errs, "phone or email is required")
	}
	if c.OnCall != "" && !hhmm.MatchString(c.OnCall) {
		errs = append(errs, fmt.Sprintf("on_call %q is not HH:MM-HH:MM", c.OnCall))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w contact: %s", ErrInvalid, strings.Join(errs, "; "))
	}
	return nil
}

// onCallAt reports whether the contact is on call at t (local time).
func (c *Contact) onCallAt(t time.Time) bool {
	m := hhmm.FindStringSubmatch(c.OnCall)
	if m == nil {
		return true
	}
	from := atoi2(m[1])*60 + atoi2(m[2])
	to := atoi2(m[3])*60 + atoi2(m[4])
	now := t.Hour()*60 + t.Minute()
	if from <= to {
		return now >= from && now < to
	}
	return now >= from || now < to // across midnight
}

func atoi2(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }

// national reports whether the contact has no facility or region scope.
func (c *Contact) national() bool { return len(c.Regions) == 0 && len(c.Facilities) == 0 }

func (c *Contact) normalise() {
	c.Name = strings.TrimSpace(c.Name)
	c.Phone = strings.ReplaceAll(strings.TrimSpace(c.Phone), " ", "")
	c.Email = strings.TrimSpace(c.Email)
	if c.Regions == nil {
		c.Regions = []string{}
	}
	if c.Facilities == nil {
		c.Facilities = []string{}
	}
}

// CreateContact stores a new contact and returns it with its id. The audit
// entry ctx carries (store.WithAudit) commits with the change; so for
// UpdateContact and DeleteContact.
func (s *Service) CreateContact(ctx context.Context, c Contact) (Contact, error) {
	c.normalise()
	if err := c.Validate(); err != nil {
		return Contact{}, err
	}
	now := s.now().UTC()
	c.CreatedAt, c.UpdatedAt = now, now
	regions, facilities := jsonList(c.Regions), jsonList(c.Facilities)
	err := store.InTx(ctx, s.db, func(tx *sql.Tx) (string, error) {
		res, err := tx.ExecContext(ctx, `INSERT INTO notify_contacts
			(name, phone, email, role, regions, facilities, on_call, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.Name, c.Phone, c.Email, c.Role, regions, facilities, c.OnCall, ms(now), ms(now))
		if err != nil {
			return "", contactWriteError(err, c.Phone)
		}
		c.ID, err = res.LastInsertId()
		return strconv.FormatInt(c.ID, 10), err
	})
	if err != nil {
		return Contact{}, err
	}
	c.CreatedAt, c.UpdatedAt = fromMS(ms(now)), fromMS(ms(now))
	return c, nil
}


// UpdateContact replaces the contact with c.ID.
func (s *Service) UpdateContact(ctx context.Context, c Contact) (Contact, error) {
	c.normalise()
	if err := c.Validate(); err != nil {
		return Contact{}, err
	}
	now := ms(s.now())
	err := store.InTx(ctx, s.db, func(tx *sql.Tx) (string, error) {
		res, err := tx.ExecContext(ctx, `UPDATE notify_contacts SET name = ?, phone = ?, email = ?,
			role = ?, regions = ?, facilities = ?, on_call = ?, updated_at = ? WHERE id = ?`,
			c.Name, c.Phone, c.Email, c.Role, jsonList(c.Regions), jsonList(c.Facilities), c.OnCall, now, c.ID)
		if err != nil {
			return "", contactWriteError(err, c.Phone)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return "", fmt.Errorf("contact %d: %w", c.ID, ErrNotFound)
		}
		return strconv.FormatInt(c.ID, 10), nil
	})
	if err != nil {
		return Contact{}, err
	}
	return s.Contact(ctx, c.ID)
}

// DeleteContact removes a contact. Its delivery log stays.
func (s *Service) DeleteContact(ctx context.Context, id int64) error {
	return store.InTx(ctx, s.db, func(tx *sql.Tx) (string, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM notify_contacts WHERE id = ?`, id)
		if err != nil {
			return "", fmt.Errorf("delete contact %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return "", fmt.Errorf("contact %d: %w", id, ErrNotFound)
		}
		return strconv.FormatInt(id, 10), nil
	})
}

// Contact returns one contact.
func (s *Service) Contact(ctx context.Context, id int64) (Contact, error) {
	cs, err := queryContacts(ctx, s.db, `WHERE id = ?`, id)
	if err != nil {
		return Contact{}, err
	}
	if len(cs) == 0 {
		return Contact{}, fmt.Errorf("contact %d: %w", id, ErrNotFound)
	}
	return cs[0], nil
}

// ContactFilter narrows Contacts; empty fields match all.
type ContactFilter struct {
	Region   string
	Facility string
	Role     string
}

// Contacts lists contacts by name.
func (s *Service) Contacts(ctx context.Context, f ContactFilter) ([]Contact, error) {
	all, err := queryContacts(ctx, s.db, `ORDER BY name, id`)
	if err != nil {
		return nil, err
	}
	out := []Contact{}
	for _, c := range all {
		if (f.Region == "" || slices.Contains(c.Regions, f.Region)) &&
			(f.Facility == "" || slices.Contains(c.Facilities, f.Facility)) &&
			(f.Role == "" || c.Role == f.Role) {
			out = append(out, c)
		}
	}
	return out, nil
}

// contactByPhone finds the contact with an E.164 number.
func (s *Service) contactByPhone(ctx context.Context, phone string) (Contact, error) {
	cs, err := queryContacts(ctx, s.db, `WHERE phone = ?`, phone)
	if err != nil {
		return Contact{}, err
	}
	if len(cs) == 0 || phone == "" {
		return Contact{}, ErrNotFound
	}
	return cs[0], nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func queryContacts(ctx context.Context, q querier, where string, args ...any) ([]Contact, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name, phone, email, role, regions, facilities,
		on_call, created_at, updated_at FROM notify_contacts `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("query contacts: %w", err)
	}
	defer rows.Close()
	var out []Contact
	for rows.Next() {
		var c Contact
		var regions, facilities string
		var created, updated int64
		if err := rows.Scan(&c.ID, &c.Name, &c.Phone, &c.Email, &c.Role, &regions, &facilities,
			&c.OnCall, &created, &updated); err != nil {
			return nil, fmt.Errorf("scan contact: %w", err)
		}
		_ = json.Unmarshal([]byte(regions), &c.Regions)
		_ = json.Unmarshal([]byte(facilities), &c.Facilities)
		c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
		c.normalise()
		out = append(out, c)
	}
	return out, rows.Err()
}

func jsonList(l []string) string {
	if l == nil {
		l = []string{}
	}
	b, _ := json.Marshal(l)
	return string(b)
}

func contactWriteError(err error, phone string) error {
	if strings.Contains(err.Error(), "UNIQUE") {
		return fmt.Errorf("%w: another contact has phone %s", ErrConflict, phone)
	}
	return fmt.Errorf("write contact: %w", err)
}
