package store

import (
	"errors"
	"strings"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// smsNumberMigrations give devices the number their alarm module sends SMS
// from (issue 19). They are a component of their own so they never collide
// with the registry's list. One number belongs to one device.
var smsNumberMigrations = []string{
	`ALTER TABLE devices ADD COLUMN sms_number TEXT NOT NULL DEFAULT '';
	ALTER TABLE retired_devices ADD COLUMN sms_number TEXT NOT NULL DEFAULT '';
	CREATE UNIQUE INDEX devices_sms_number ON devices(sms_number) WHERE sms_number != '';`,
}

// ErrSMSNumberTaken is returned when another device already has the SMS
// number a device is saved with.
var ErrSMSNumberTaken = errors.New("another device already has this SMS number")

// ValidE164 reports whether s is an E.164 number: + then 8 to 15 digits,
// the first not 0.
func ValidE164(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// DeviceByPhone returns the registered device whose sms_number is number
// (E.164), from the cache.
func (r *Registry) DeviceByPhone(number string) (plant.Device, bool) {
	if number == "" {
		return plant.Device{}, false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, d := range r.cache {
		if d.SMSNumber == number {
			return d, true
		}
	}
	return plant.Device{}, false
}

func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}
