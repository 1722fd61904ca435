package plant

import "time"

// Severity of an alert.
type Severity string

const (
	SeverityCritical Severity = "critical"
	SeverityWarning  Severity = "warning"
	SeverityInfo     Severity = "info"
)

// AlertState is where an alert is in its lifecycle. Pending alerts are kept
// by the engine but not shown through the API.
type AlertState string

const (
	AlertPending      AlertState = "pending"
	AlertFiring       AlertState = "firing"
	AlertAcknowledged AlertState = "acknowledged"
	AlertResolved     AlertState = "resolved"
)

// Alert is one alert, one per (rule, device) while not resolved (CONTRACT §5).
// Facility-wide alerts have an empty Device.
type Alert struct {
	ID         int64      `json:"id"`
	Rule       string     `json:"rule"`
	Device     DeviceID   `json:"device"`
	Facility   string     `json:"facility"`
	Region     string     `json:"region"`
	Country    string     `json:"country,omitempty"`
	Severity   Severity   `json:"severity"`
	State      AlertState `json:"state"`
	StartedAt  time.Time  `json:"started_at"`
	ResolvedAt time.Time  `json:"resolved_at,omitzero"`
	AckedBy    string     `json:"acked_by,omitempty"`
	AckedAt    time.Time  `json:"acked_at,omitzero"`
	AckNote    string     `json:"ack_note,omitempty"`
	Value      *float64   `json:"value"`
	Summary    string     `json:"summary"`
	// AckCode is a short number an engineer replies with by SMS ("ACK 4821").
	AckCode string `json:"ack_code,omitempty"`
}

// Transition is one change of an alert's state, handed to notifiers.
type Transition struct {
	Alert Alert
	From  AlertState // "" for a new alert
	To    AlertState
	At    time.Time
}

// Key is a stable identity for this transition, used to drop duplicates.
func (t Transition) Key() string {
	return t.Alert.Rule + "/" + string(t.Alert.Device) + "/" + itoa(t.Alert.ID) + "/" + string(t.To)
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// StatusInterval is a span of time a device spent in one status (CONTRACT §6).
// End is zero while the interval is open.
type StatusInterval struct {
	Device DeviceID  `json:"device"`
	Status Status    `json:"status"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end,omitzero"`
	Cause  string    `json:"cause,omitempty"` // e.g. "power:none", "alarm:compressor_fault", "offline"
}

// ServiceRecord is a maintenance action on one component of a device.
type ServiceRecord struct {
	ID        int64     `json:"id"`
	Device    DeviceID  `json:"device"`
	Component string    `json:"component"`
	DoneAt    time.Time `json:"done_at"`
	RuntimeH  float64   `json:"runtime_h"`
	Note      string    `json:"note,omitempty"`
	By        string    `json:"by,omitempty"`
}

// Facility is a hospital or health centre holding devices.
type Facility struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Region    string  `json:"region"`
	Country   string  `json:"country"`
	Lat       float64 `json:"lat,omitempty"`
	Lon       float64 `json:"lon,omitempty"`
	Beds      int     `json:"beds,omitempty"`
	DemandLPM float64 `json:"demand_lpm,omitempty"`
	OrgUnit   string  `json:"dhis2_org_unit,omitempty"`
	// Oxygen-using beds by patient category (WHO): general ward beds
	// (report.litres_per_bed_lpm each, default 2.5 L/min), severe (10 L/min)
	// and critical (30 L/min). Reports estimate demand from them when the
	// facility has no DemandLPM.
	BedsGeneral  int `json:"beds_general,omitempty"`
	BedsSevere   int `json:"beds_severe,omitempty"`
	BedsCritical int `json:"beds_critical,omitempty"`
}

// MaintenanceItem is one component's service clock on one device: running
// hours since its last service against its interval, and, for components
// with a calendar interval, the date it falls due whatever the hours.
// Alerting computes it; the API, the dashboard and reports show it.
type MaintenanceItem struct {
	Device         DeviceID  `json:"device"`
	Facility       string    `json:"facility"`
	Region         string    `json:"region"`
	Component      string    `json:"component"`
	RuntimeH       float64   `json:"runtime_h"`  // running hours since the last service
	IntervalH      float64   `json:"interval_h"` // service interval in running hours; 0: none
	IntervalMonths int       `json:"interval_months,omitempty"`
	IntervalDays   int       `json:"interval_days,omitempty"`
	LastDone       time.Time `json:"last_done,omitzero"`
	DueAt          time.Time `json:"due_at,omitzero"` // calendar: last service + the calendar interval
	Due            bool      `json:"due"`
	DueBy          string    `json:"due_by,omitempty"` // running_hours or calendar, when Due
	Known          bool      `json:"known"`            // runtime_h was reported
}

// Past reports whether the clock has run share of its interval (1.1: 10 %
// past it; 0.9: within 10 % of it), by running hours or by calendar.
func (m MaintenanceItem) Past(share float64, now time.Time) bool {
	if m.IntervalH > 0 && m.Known && m.RuntimeH >= m.IntervalH*share {
		return true
	}
	if m.DueAt.IsZero() || m.LastDone.IsZero() {
		return false
	}
	return float64(now.Sub(m.LastDone)) >= float64(m.DueAt.Sub(m.LastDone))*share
}

// OverduePct is the running time since service as a share of the interval.
func (m MaintenanceItem) OverduePct() float64 {
	if m.IntervalH <= 0 {
		return 0
	}
	return 100 * m.RuntimeH / m.IntervalH
}

// Silence mutes the notifications of alerts it matches between StartsAt and
// EndsAt. Empty matchers match anything; at least one must be set. A silence
// marked Maintenance is planned maintenance: the devices it matches count as
// in maintenance in the status timeline (and so outside uptime).
type Silence struct {
	ID          int64     `json:"id"`
	Device      DeviceID  `json:"device,omitempty"`
	Facility    string    `json:"facility,omitempty"`
	Region      string    `json:"region,omitempty"`
	Rule        string    `json:"rule,omitempty"`
	StartsAt    time.Time `json:"starts_at"`
	EndsAt      time.Time `json:"ends_at"`
	Comment     string    `json:"comment"`
	Maintenance bool      `json:"maintenance"`
	CreatedBy   string    `json:"created_by,omitempty"`
	CreatedAt   time.Time `json:"created_at,omitzero"`
}

// Active reports whether the silence applies at t.
func (s *Silence) Active(t time.Time) bool {
	return !t.Before(s.StartsAt) && t.Before(s.EndsAt)
}

// MatchesDevice reports whether the silence's matchers (rule aside) take in
// device dev of facility and region.
func (s *Silence) MatchesDevice(dev DeviceID, facility, region string) bool {
	return (s.Device == "" || s.Device == dev) &&
		(s.Facility == "" || s.Facility == facility) &&
		(s.Region == "" || s.Region == region)
}
