package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// Contact is a person who may be told about alerts (plant.Contact).
type Contact = plant.Contact

// ValidE164 reports whether s is a phone number in E.164 form.
func ValidE164(s string) bool { return plant.ValidE164(s) }

// checkContact normalises c and checks it, its language against the
// catalogues ("fr-SN" is stored as "fr"); errors wrap ErrInvalid.
func checkContact(c *Contact) error {
	c.Normalise()
	err := c.Validate()
	if c.Language != "" {
		l, lerr := i18n.Parse(c.Language)
		if lerr != nil {
			err = errors.Join(err, &i18n.FieldError{Field: "language", Err: lerr})
		}
		c.Language = string(l)
	}
	if err != nil {
		return contactError{err}
	}
	return nil
}

// contactError is an invalid contact: its text on one line, and its field
// errors (i18n.FieldError) kept for the API to name in the reader's
// language.
type contactError struct{ err error }

func (e contactError) Error() string {
	return ErrInvalid.Error() + " contact: " + strings.ReplaceAll(e.err.Error(), "\n", "; ")
}

func (e contactError) Unwrap() []error { return []error{ErrInvalid, e.err} }

// CreateContact stores a new contact and returns it with its id. The audit
// entry ctx carries (store.WithAudit) commits with the change; so for
// UpdateContact and DeleteContact.
func (s *Service) CreateContact(ctx context.Context, c Contact) (Contact, error) {
	if err := checkContact(&c); err != nil {
		return Contact{}, err
	}
	now := s.now().UTC()
	c.CreatedAt, c.UpdatedAt = now, now
	regions, facilities := jsonList(c.Regions), jsonList(c.Facilities)
	err := store.InTx(ctx, s.db, func(tx *sql.Tx) (string, error) {
		res, err := tx.ExecContext(ctx, `INSERT INTO notify_contacts
			(name, phone, email, role, regions, facilities, on_call, language, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.Name, c.Phone, c.Email, c.Role, regions, facilities, c.OnCall, c.Language, ms(now), ms(now))
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
	if err := checkContact(&c); err != nil {
		return Contact{}, err
	}
	now := ms(s.now())
	err := store.InTx(ctx, s.db, func(tx *sql.Tx) (string, error) {
		res, err := tx.ExecContext(ctx, `UPDATE notify_contacts SET name = ?, phone = ?, email = ?,
			role = ?, regions = ?, facilities = ?, on_call = ?, language = ?, updated_at = ? WHERE id = ?`,
			c.Name, c.Phone, c.Email, c.Role, jsonList(c.Regions), jsonList(c.Facilities), c.OnCall, c.Language, now, c.ID)
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
		on_call, language, created_at, updated_at FROM notify_contacts `+where, args...)
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
			&c.OnCall, &c.Language, &created, &updated); err != nil {
			return nil, fmt.Errorf("scan contact: %w", err)
		}
		_ = json.Unmarshal([]byte(regions), &c.Regions)
		_ = json.Unmarshal([]byte(facilities), &c.Facilities)
		c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
		c.Normalise()
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
