// Package plant holds OxyWatch's domain types: devices, readings, statuses and
// alerts. It imports nothing but the standard library so every other package
// can share it.
package plant

import (
	"github.com/oxywatch/oxywatch/internal/i18n"

	"time"
)

// DeviceID is the device part of an MQTT topic, o2/DEVICE/telemetry.
type DeviceID string

// ValidDeviceID reports whether s is an acceptable device id (CONTRACT §3):
// ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$. It runs for every message, so it is a
// loop rather than a regular expression.
func ValidDeviceID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return false
		}
	}
	return true
}

// Kind is the kind of equipment.
type Kind string

const (
	KindPSA          Kind = "psa"
	KindConcentrator Kind = "concentrator"
	KindLOXTank      Kind = "lox_tank"
	KindCylinderBank Kind = "cylinder_bank"
	KindUnknown      Kind = "unknown"
)

// Kinds lists every valid kind.
var Kinds = []Kind{KindPSA, KindConcentrator, KindLOXTank, KindCylinderBank, KindUnknown}

// ParseKind returns the kind named s or an error naming the accepted values.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", i18n.Errorf("field.unknown_value.kind", s)
}

// State is the operating state a device reports.
type State string

const (
	StateRunning     State = "running"
	StateStandby     State = "standby"
	StateFault       State = "fault"
	StateOff         State = "off"
	StateMaintenance State = "maintenance"
	// StateUnknown is stored for a state word the device sent that is
	// neither one of the above nor mapped for its model (ingest mapping
	// file): the reading is kept, and the state is taken as unknown, which
	// is neither running nor stopped.
	StateUnknown State = "unknown"
)

// ValidState reports whether s is one of the states of CONTRACT §3.
func ValidState(s State) bool {
	switch s {
	case StateRunning, StateStandby, StateFault, StateOff, StateMaintenance:
		return true
	}
	return false
}

// Power is the power source a device reports.
type Power string

const (
	PowerMains     Power = "mains"
	PowerGenerator Power = "generator"
	PowerBattery   Power = "battery"
	PowerSolar     Power = "solar"
	PowerNone      Power = "none"
	// PowerUnknown is stored for a power word that was not understood.
	PowerUnknown Power = "unknown"
)

// ValidPower reports whether p is one of the power sources of CONTRACT §3.
func ValidPower(p Power) bool {
	switch p {
	case PowerMains, PowerGenerator, PowerBattery, PowerSolar, PowerNone:
		return true
	}
	return false
}

// Field names of a reading's numeric values, as stored in InfluxDB.
const (
	FieldPurity          = "purity_pct"
	FieldPressure        = "pressure_bar"
	FieldFlow            = "flow_lpm"
	FieldRuntime         = "runtime_h"
	FieldTemp            = "temp_c"
	FieldDewPoint        = "dew_point_c"
	FieldSupplyV         = "supply_v"
	FieldCylindersFilled = "cylinders_filled"
	FieldTankPressure    = "tank_pressure_bar"
	FieldBattery         = "battery_pct"
	FieldRSSI            = "rssi_dbm"
)

// Values holds the numeric values of a reading. A nil pointer means "not
// reported"; pointers keep absent and zero apart.
type Values struct {
	Purity          *float64 `json:"purity_pct,omitempty"`
	Pressure        *float64 `json:"pressure_bar,omitempty"`
	Flow            *float64 `json:"flow_lpm,omitempty"`
	Runtime         *float64 `json:"runtime_h,omitempty"`
	Temp            *float64 `json:"temp_c,omitempty"`
	DewPoint        *float64 `json:"dew_point_c,omitempty"`
	SupplyV         *float64 `json:"supply_v,omitempty"`
	CylindersFilled *float64 `json:"cylinders_filled,omitempty"`
	TankPressure    *float64 `json:"tank_pressure_bar,omitempty"`
	Battery         *float64 `json:"battery_pct,omitempty"`
	RSSI            *float64 `json:"rssi_dbm,omitempty"`
}

// Each calls fn for every reported value with its InfluxDB field name, in a
// fixed order.
func (v *Values) Each(fn func(field string, value float64)) {
	for _, f := range v.fields() {
		if *f.p != nil {
			fn(f.name, **f.p)
		}
	}
}

type namedField struct {
	name string
	p    **float64
}

func (v *Values) fields() [11]namedField {
	return [11]namedField{
		{FieldPurity, &v.Purity}, {FieldPressure, &v.Pressure}, {FieldFlow, &v.Flow},
		{FieldRuntime, &v.Runtime}, {FieldTemp, &v.Temp}, {FieldDewPoint, &v.DewPoint},
		{FieldSupplyV, &v.SupplyV}, {FieldCylindersFilled, &v.CylindersFilled},
		{FieldTankPressure, &v.TankPressure}, {FieldBattery, &v.Battery}, {FieldRSSI, &v.RSSI},
	}
}

// Reading is one validated, normalised measurement from one device.
type Reading struct {
	Device DeviceID  `json:"device"`
	Time   time.Time `json:"ts"`
	Seq    *int64    `json:"seq,omitempty"`
	Values
	State  State    `json:"state,omitempty"`
	Power  Power    `json:"power,omitempty"`
	Alarms []string `json:"alarms,omitempty"`
}

// Float returns a pointer to v, for building Values.
func Float(v float64) *float64 { return &v }

// Device is a registry entry (CONTRACT §5).
type Device struct {
	ID              DeviceID  `json:"id"`
	Kind            Kind      `json:"kind"`
	Model           string    `json:"model,omitempty"`
	Facility        string    `json:"facility"`
	Region          string    `json:"region"`
	Country         string    `json:"country"`
	RatedFlowLPM    float64   `json:"rated_flow_lpm"`
	ReportIntervalS int       `json:"report_interval_s"`
	Status          Status    `json:"status"`
	LastSeen        time.Time `json:"last_seen,omitzero"`
	LastReading     *Reading  `json:"last_reading,omitempty"`
	LastError       string    `json:"last_error,omitempty"`
	LastErrorCode   string    `json:"last_error_code,omitempty"` // why, as a code (see LiveState)
	CreatedAt       time.Time `json:"created_at,omitzero"`
	// CommissionedAt is when the device went into service, as the operator
	// records it; zero when unknown. Reports count a device from the earlier
	// of this (or CreatedAt) and its first reading.
	CommissionedAt time.Time `json:"commissioned_at,omitzero"`
	// DecommissionedAt is when it left service; reports stop counting it then.
	DecommissionedAt time.Time `json:"decommissioned_at,omitzero"`
	// SMSNumber is the E.164 number the device's alarm module sends SMS
	// from (+254711000111); empty when it sends none. An inbound SMS from
	// it is read with the model's text patterns (issue 19).
	SMSNumber string `json:"sms_number,omitempty"`
	// Use is what its oxygen is for (pipeline, cylinder_filling, bedside)
	// and MeasurementPoint where its purity and pressure are measured
	// (outlet, buffer_tank, pipeline, filling_manifold); they choose the
	// alert thresholds. Empty: the kind's default use (UseOrDefault) and
	// the outlet.
	Use              Use   `json:"use,omitempty"`
	MeasurementPoint Point `json:"measurement_point,omitempty"`
}

// InService is when the registry says the device went into service: its
// commissioning date, or when it was registered.
func (d *Device) InService() time.Time {
	if !d.CommissionedAt.IsZero() {
		return d.CommissionedAt
	}
	return d.CreatedAt
}

// Produces reports whether the device makes oxygen (psa, concentrator, or
// not yet classified), as opposed to storing it (lox_tank, cylinder_bank).
func (k Kind) Produces() bool { return k != KindLOXTank && k != KindCylinderBank }

// DefaultReportInterval applies when the registry holds none for a device.
const DefaultReportInterval = 60 * time.Second

// ReportInterval returns the device's report interval, or the default.
func (d *Device) ReportInterval() time.Duration {
	if d == nil || d.ReportIntervalS <= 0 {
		return DefaultReportInterval
	}
	return time.Duration(d.ReportIntervalS) * time.Second
}

// Status is the status of a device at an instant (CONTRACT §6).
type Status string

const (
	StatusOperational Status = "operational"
	StatusDegraded    Status = "degraded"
	StatusDown        Status = "down"
	StatusMaintenance Status = "maintenance"
	StatusNoData      Status = "no_data"
)

// Statuses lists every status in report order.
var Statuses = []Status{StatusOperational, StatusDegraded, StatusDown, StatusMaintenance, StatusNoData}

// Connectivity is what a device said on its status topic.
type Connectivity string

const (
	Online  Connectivity = "online"
	Offline Connectivity = "offline"
)

// StatusMessage is a message from o2/DEVICE/status.
type StatusMessage struct {
	Device   DeviceID
	State    Connectivity
	Received time.Time
}

// LiveState is what ingest knows about one device right now: when it last
// spoke, its newest reading and its last error.
type LiveState struct {
	LastSeen    time.Time `json:"last_seen,omitzero"` // receive time of the newest message
	Newest      time.Time `json:"newest_ts,omitzero"` // newest reading timestamp
	LastReading *Reading  `json:"last_reading,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	// LastErrorCode is why, as a code (ingest's rejection reason, e.g.
	// out_of_range, or unknown_word), so the dashboard can say it in the
	// reader's language; LastError is the technical detail, in English.
	LastErrorCode string       `json:"last_error_code,omitempty"`
	LastErrorAt   time.Time    `json:"last_error_at,omitzero"`
	Connectivity  Connectivity `json:"connectivity,omitempty"`
}
