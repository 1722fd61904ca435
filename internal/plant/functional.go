package plant

import (
	"github.com/oxywatch/oxywatch/internal/i18n"

	"time"
)

// Functional is a device's working condition as an engineer records it by
// hand: most concentrators have no telemetry, so a national census of
// functional equipment rests on these records (issue 17).
type Functional string

const (
	FunctionalWorking     Functional = "functional"
	FunctionalBroken      Functional = "non_functional"
	FunctionalUnderRepair Functional = "under_repair"
)

// FunctionalStatuses lists every recordable status, in report order.
var FunctionalStatuses = []Functional{FunctionalWorking, FunctionalBroken, FunctionalUnderRepair}

// ParseFunctional returns the status named s or an error naming the
// accepted values.
func ParseFunctional(s string) (Functional, error) {
	for _, f := range FunctionalStatuses {
		if string(f) == s {
			return f, nil
		}
	}
	return "", i18n.Errorf("field.unknown_value.functional", s)
}

// FunctionalRecord is one recorded functional status: what the engineer
// found on At, and who recorded it when.
type FunctionalRecord struct {
	ID         int64      `json:"id"`
	Device     DeviceID   `json:"device"`
	Status     Functional `json:"status"`
	At         time.Time  `json:"at"` // when the device was found so
	Note       string     `json:"note,omitempty"`
	RecordedBy string     `json:"recorded_by,omitempty"`
	RecordedAt time.Time  `json:"recorded_at,omitzero"`
}

// LitresPerCylinder is the oxygen in one large (J-size) cylinder, in litres
// of gas: about 6,800 L, the unit ministries count supply in (DOMAIN.md).
const LitresPerCylinder = 6800.0

// StockRecord is a storage device's (LOX tank, cylinder bank) stock as
// counted or read on site: litres of oxygen gas it held at At.
type StockRecord struct {
	ID         int64     `json:"id"`
	Device     DeviceID  `json:"device"`
	At         time.Time `json:"at"`
	Litres     float64   `json:"litres"`    // litres of gas (a full large cylinder ≈ 6,800 L)
	Cylinders  float64   `json:"cylinders"` // Litres in large-cylinder equivalents
	Note       string    `json:"note,omitempty"`
	RecordedBy string    `json:"recorded_by,omitempty"`
	RecordedAt time.Time `json:"recorded_at,omitzero"`
}
