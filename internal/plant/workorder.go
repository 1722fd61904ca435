package plant

import (
	"github.com/oxywatch/oxywatch/internal/i18n"

	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// WorkOrderStatus is where a repair ticket is: open until an engineer
// closes it with what was found and done.
type WorkOrderStatus string

const (
	WorkOrderOpen   WorkOrderStatus = "open"
	WorkOrderClosed WorkOrderStatus = "closed"
)

// Part is a spare part used in a repair.
type Part struct {
	Name     string  `json:"name"`
	Quantity float64 `json:"quantity"`
}

// WorkOrder is a repair ticket for one failure of one device (issue 17):
// opened from an alert or by hand, closed with the cause, the parts used and
// when the equipment worked again. Reports take the mean time to repair
// and the main causes of failure from these. Facility and Region are the
// device's when the work order was opened; region limits follow them.
type WorkOrder struct {
	ID       int64
	Device   DeviceID
	Facility string
	Region   string
	AlertID  int64 // 0: opened by hand
	Status   WorkOrderStatus
	OpenedAt time.Time
	ClosedAt time.Time // zero while open
	// RestoredAt is when the equipment worked again: ClosedAt unless the
	// engineer says otherwise (paperwork closed later, say).
	RestoredAt time.Time
	Fault      string // the fault code it was opened for (FaultCodes)
	Cause      string // what the engineer found, on close: a fault code or words
	Parts      []Part
	Note       string
	OpenedBy   string
	ClosedBy   string
}

// RepairTime is RestoredAt − OpenedAt for a closed work order, 0 otherwise.
func (w WorkOrder) RepairTime() time.Duration {
	if w.Status != WorkOrderClosed || w.RestoredAt.Before(w.OpenedAt) {
		return 0
	}
	return w.RestoredAt.Sub(w.OpenedAt)
}

// WorkOrderFilter narrows a work-order list; zero fields match all. From and
// To keep the work orders whose time open overlaps [From, To): opened
// before To and not closed before From.
type WorkOrderFilter struct {
	Device DeviceID
	Status WorkOrderStatus
	From   time.Time
	To     time.Time
}

// Matches reports whether w passes the filter.
func (f WorkOrderFilter) Matches(w WorkOrder) bool {
	switch {
	case f.Device != "" && w.Device != f.Device:
		return false
	case f.Status != "" && w.Status != f.Status:
		return false
	case !f.To.IsZero() && !w.OpenedAt.Before(f.To):
		return false
	case !f.From.IsZero() && w.Status == WorkOrderClosed && w.ClosedAt.Before(f.From):
		return false
	}
	return true
}

// FaultOther is the fault code for a failure the vocabulary has no word for.
const FaultOther = "other"

// FaultMainsLoss is a failure of the mains supply (not of the equipment).
const FaultMainsLoss = "mains_loss"

// FaultCodes is the vocabulary a work order's fault and cause are given
// in: the alerting rules' names (an alert's rule is the fault of the work
// order opened from it), the device alarm codes of CONTRACT §3, mains loss
// and other. Reports name each in words through the catalogues.
var FaultCodes = []string{
	// alerting rules (alerting/rules.go)
	"offline", "critical_purity", "low_purity", "low_pressure", "high_pressure", "no_flow",
	"overload", "device_fault", "power_loss", "purity_declining", "maintenance_due",
	"facility_outage", "clock_skew", "sensor_stuck",
	// device alarm codes
	"compressor_fault", "dryer_fault", "high_temp", "sieve_fault", "power_fail",
	FaultMainsLoss, FaultOther,
}

// KnownFault reports whether code is in FaultCodes.
func KnownFault(code string) bool { return slices.Contains(FaultCodes, code) }

// ParseFault checks a fault code given by hand.
func ParseFault(code string) (string, error) {
	if KnownFault(code) {
		return code, nil
	}
	return "", i18n.Errorf("field.unknown_value.fault", code, strings.Join(FaultCodes, ", "))
}

// CauseCode is the vocabulary code a recorded cause stands for: the cause
// itself when it is a code, or its first word when that is one
// ("compressor_fault: worn rings"); "" for words only.
func CauseCode(cause string) string {
	c := strings.TrimSpace(cause)
	if KnownFault(c) {
		return c
	}
	first, _, _ := strings.Cut(c, " ")
	first = strings.TrimRight(first, ":,;.-")
	if KnownFault(first) {
		return first
	}
	return ""
}

// Limits of what a work order keeps.
const (
	maxWorkOrderNote  = 2000
	maxWorkOrderCause = 500
	maxWorkOrderParts = 50
	maxPartName       = 100
)

// WorkOrderClose is what an engineer records when closing a work order.
type WorkOrderClose struct {
	ClosedAt   time.Time
	RestoredAt time.Time // zero: ClosedAt
	Cause      string
	Parts      []Part
	Note       string // added to the work order's note
	ClosedBy   string
}

// CheckClose returns what is wrong with closing wo with c, naming the field
// (closed_at, restored_at, cause, parts, note), or nil. The API checks
// first, to answer with the field; CloseWorkOrder checks again.
func CheckClose(wo WorkOrder, c WorkOrderClose) (field string, err error) {
	switch {
	case c.ClosedAt.IsZero():
		return "closed_at", i18n.Errorf("field.required.missing")
	case c.ClosedAt.Before(wo.OpenedAt):
		return "closed_at", i18n.Errorf("field.before_open", wo.OpenedAt.UTC().Format(time.RFC3339))
	case !c.RestoredAt.IsZero() && c.RestoredAt.Before(wo.OpenedAt):
		return "restored_at", i18n.Errorf("field.before_open", wo.OpenedAt.UTC().Format(time.RFC3339))
	case !c.RestoredAt.IsZero() && c.RestoredAt.After(c.ClosedAt):
		return "restored_at", i18n.Errorf("field.not_after.closed_at")
	case strings.TrimSpace(c.Cause) == "":
		return "cause", i18n.Errorf("field.required.cause")
	case len(c.Cause) > maxWorkOrderCause:
		return "cause", i18n.Errorf("field.too_long.tag", maxWorkOrderCause)
	case len(c.Note)+len(wo.Note) > maxWorkOrderNote:
		return "note", i18n.Errorf("field.too_long.wo_note", maxWorkOrderNote)
	}
	return checkParts(c.Parts)
}

func checkParts(parts []Part) (string, error) {
	if len(parts) > maxWorkOrderParts {
		return "parts", i18n.Errorf("field.too_many.parts", maxWorkOrderParts)
	}
	for i, p := range parts {
		switch {
		case strings.TrimSpace(p.Name) == "" || len(p.Name) > maxPartName:
			return fmt.Sprintf("parts[%d].name", i), i18n.Errorf("field.out_of_range.part_name", maxPartName)
		case !(p.Quantity > 0) || p.Quantity > 1e6 || math.IsInf(p.Quantity, 0):
			return fmt.Sprintf("parts[%d].quantity", i), i18n.Errorf("field.out_of_range.quantity")
		}
	}
	return "", nil
}
