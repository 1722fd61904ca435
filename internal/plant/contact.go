package plant

import (
	"github.com/oxywatch/oxywatch/internal/i18n"

	"errors"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// Contact is a person who may be told about alerts. Facilities and Regions
// give the contact's scope: a contact listing neither is national.
// Language is the language messages to them are written in ("en", "fr",
// "pt"; empty: the deployment's).
type Contact struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Phone      string    `json:"phone,omitempty"` // E.164, e.g. +256772123456
	Email      string    `json:"email,omitempty"`
	Role       string    `json:"role,omitempty"` // free text, e.g. facility_engineer
	Regions    []string  `json:"regions"`
	Facilities []string  `json:"facilities"`
	OnCall     string    `json:"on_call,omitempty"` // "HH:MM-HH:MM" local; empty is always
	Language   string    `json:"language,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// ValidE164 reports whether s is a phone number in E.164 form.
func ValidE164(s string) bool { return e164.MatchString(s) }

var hhmm = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$`)

// Normalise trims the contact's fields and gives it empty (not nil) scope
// lists.
func (c *Contact) Normalise() {
	c.Name = strings.TrimSpace(c.Name)
	c.Phone = strings.ReplaceAll(strings.TrimSpace(c.Phone), " ", "")
	c.Email = strings.TrimSpace(c.Email)
	c.Language = strings.TrimSpace(c.Language)
	if c.Regions == nil {
		c.Regions = []string{}
	}
	if c.Facilities == nil {
		c.Facilities = []string{}
	}
}

// Validate checks the contact's fields, naming each that is wrong (the
// language is the notifier's to check: it knows its catalogues).
func (c *Contact) Validate() error {
	var errs []error
	if strings.TrimSpace(c.Name) == "" {
		errs = append(errs, i18n.Field("name", "field.required.name"))
	}
	if c.Phone != "" && !ValidE164(c.Phone) {
		errs = append(errs, i18n.Field("phone", "field.bad_phone", c.Phone))
	}
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email {
			errs = append(errs, i18n.Field("email", "field.bad_email", c.Email))
		}
	}
	if c.Phone == "" && c.Email == "" {
		errs = append(errs, i18n.Field("phone", "field.required.phone_or_email"))
	}
	if c.OnCall != "" && !hhmm.MatchString(c.OnCall) {
		errs = append(errs, i18n.Field("on_call", "field.bad_on_call", c.OnCall))
	}
	return errors.Join(errs...) // each a field error the API names
}

// OnCallAt reports whether the contact is on call at t (local time).
func (c *Contact) OnCallAt(t time.Time) bool {
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

// National reports whether the contact has no facility or region scope.
func (c *Contact) National() bool { return len(c.Regions) == 0 && len(c.Facilities) == 0 }
