package api

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// The API reads and changes state through the small interfaces below; the
// application wires the real components to them. Every one is optional: a
// route whose dependency is nil answers 501 with a problem body.
//
// Errors: implementations wrap ErrNotFound (404), ErrInvalid (400) or
// ErrConflict (409) so the API can answer with the right status; anything
// else is a 500 whose text is logged, not shown.

// Sentinel errors an implementation wraps to choose the HTTP status: the
// domain's (plant), which alerting, notify and store wrap too.
var (
	ErrNotFound = plant.ErrNotFound
	ErrInvalid  = plant.ErrInvalid
	ErrConflict = plant.ErrConflict
)

// Registry is the device and facility inventory. *store.Registry satisfies it.
type Registry interface {
	Devices(ctx context.Context) ([]plant.Device, error)
	Get(ctx context.Context, id plant.DeviceID) (plant.Device, error)
	Put(ctx context.Context, d plant.Device) (created bool, err error)
	Delete(ctx context.Context, id plant.DeviceID) error
	PutFacility(ctx context.Context, f plant.Facility) error
	Facilities(ctx context.Context) ([]plant.Facility, error)
}

// registryPart is the part T of the registry, beyond Registry, that a
// route needs (WorkOrders, FieldRecords): *store.Registry has every part,
// another Registry may not. Without it (or without a registry) the route
// answers 501 naming it (name, a catalogue key: see notConfigured), and ok
// is false.
func registryPart[T any](s *server, w http.ResponseWriter, r *http.Request, name string) (part T, ok bool) {
	part, ok = s.opt.Registry.(T)
	if !ok {
		notConfigured(w, r, name)
	}
	return part, ok
}

// Live is what ingest knows about each device right now. *ingest.Fleet
// satisfies it.
type Live interface {
	Get(id plant.DeviceID) (plant.LiveState, bool)
}

// StatusFunc gives a device's status now (CONTRACT §6), from its registry
// entry and live state (ok is false when the device never spoke). The
// alerting engine decides it (alerting.Engine.Status), the one place that
// does, so the API agrees with the alerts and the timelines.
type StatusFunc func(d plant.Device, st plant.LiveState, ok bool, now time.Time) plant.Status

// ReadingsQuery asks for one device's history.
type ReadingsQuery struct {
	Device plant.DeviceID
	From   time.Time
	To     time.Time
	Every  time.Duration // window of the mean; 0 = raw points
}

// Point is one (possibly averaged) reading: its time and numeric fields by
// InfluxDB field name (purity_pct, pressure_bar, …).
type Point struct {
	Time   time.Time
	Values map[string]float64
}

// Readings reads history (internal/app serves it from InfluxDB).
type Readings interface {
	Readings(ctx context.Context, q ReadingsQuery) ([]Point, error)
}

// AlertFilter narrows an alert list; empty fields match all. State "" means
// every state the engine shows (firing, acknowledged, resolved).
type AlertFilter struct {
	State    string // "" every listed state, "active" firing and acknowledged
	Device   string
	Facility string
	Region   string
	Severity string
	Rule     string

	Regions  []string // the token's regions; empty: all
	BeforeID int64    // newest first: only ids below this; 0: from the newest
	Limit    int      // at most this many; 0: no limit
}

// Alerts is the alert engine's view for the API. List filters and pages in
// the store (newest first); the API applies the filter and the token's
// regions again to what it gets, so an implementation that ignores part of
// it still answers only what was asked.
type Alerts interface {
	List(ctx context.Context, f AlertFilter) ([]plant.Alert, error)
	Get(ctx context.Context, id int64) (plant.Alert, error)
	Ack(ctx context.Context, id int64, by, note string) (plant.Alert, error)
}

// Silence mutes matching alerts between StartsAt and EndsAt.
type Silence = plant.Silence

// Silences stores silences.
type Silences interface {
	List(ctx context.Context) ([]Silence, error)
	Create(ctx context.Context, s Silence) (Silence, error)
	Delete(ctx context.Context, id int64) error
	// End ends a silence now: one not started is deleted (kept false), one
	// running ends now and is kept (its history counts); ErrConflict when
	// it already ended.
	End(ctx context.Context, id int64) (s Silence, kept bool, err error)
}

// MaintenanceDue is a component due or nearly due for service.
type MaintenanceDue = plant.MaintenanceItem

// Maintenance logs service and lists what is due.
type Maintenance interface {
	Record(ctx context.Context, r plant.ServiceRecord) (plant.ServiceRecord, error)
	Due(ctx context.Context) ([]MaintenanceDue, error)
}

// Contact is a person told about alerts, in their language.
type Contact = plant.Contact

// Contacts stores contacts. Validation errors must wrap ErrInvalid.
type Contacts interface {
	List(ctx context.Context) ([]Contact, error)
	Get(ctx context.Context, id int64) (Contact, error)
	Create(ctx context.Context, c Contact) (Contact, error)
	Update(ctx context.Context, c Contact) (Contact, error)
	Delete(ctx context.Context, id int64) error
}

// DeliveryFilter narrows the delivery log; zero fields match all. Results
// come newest first, with ids below BeforeID when it is set.
type DeliveryFilter struct {
	AlertID   int64
	ContactID int64
	Facility  string
	Channel   string
	State     string
	BeforeID  int64
	Limit     int
}

// Delivery is one notification attempt (fields of notify.Delivery).
type Delivery struct {
	ID        int64     `json:"id"`
	AlertID   int64     `json:"alert_id"`
	Event     string    `json:"event"`
	Facility  string    `json:"facility"`
	ContactID *int64    `json:"contact_id,omitempty"`
	Recipient string    `json:"recipient"`
	Channel   string    `json:"channel"`
	Address   string    `json:"address"`
	Tier      int       `json:"tier"`
	State     string    `json:"state"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	SentAt    time.Time `json:"sent_at,omitzero"`
	Text      string    `json:"text,omitempty"`
}

// DeliveriesFunc reads the delivery log.
type DeliveriesFunc func(ctx context.Context, f DeliveryFilter) ([]Delivery, error)

// ReportQuery asks for a report. From and To are as the user gave them
// (a date or RFC 3339; both empty = previous month); a bad value is an
// ErrInvalid. Regions, when not nil, limits the report to devices of those
// regions: rows, totals and outages must cover nothing else.
type ReportQuery struct {
	From    string
	To      string
	Group   string
	Regions []string
}

// Report is a computed report that writes itself in each format. The JSON
// form must have an "items" array whose rows carry "region" when grouped by
// device, facility or region (the API checks it against the token).
type Report interface {
	WriteJSON(w io.Writer) error
	WriteCSV(w io.Writer) error
	WriteHTML(w io.Writer) error
}

// Reports computes uptime and supply (report.Reporter behind an adapter).
type Reports interface {
	Uptime(ctx context.Context, q ReportQuery) (Report, error)
	Supply(ctx context.Context, q ReportQuery) (Report, error)
}
