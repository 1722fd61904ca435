package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/oxywatch/oxywatch/alerting"
	"github.com/oxywatch/oxywatch/alerting/notify"
	"github.com/oxywatch/oxywatch/api"
	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
	"github.com/oxywatch/oxywatch/report"
)

// The API reads every part through its own small interfaces; these
// adapters are the only place that knows both sides.

// badQuery marks a bad report query as the request's fault (400): the one
// error of a part that does not wrap a domain sentinel. Every other part
// wraps plant.ErrNotFound, ErrInvalid and ErrConflict, which the API reads
// as they are.
func badQuery(err error) error {
	if errors.Is(err, report.ErrBadQuery) && !errors.Is(err, plant.ErrInvalid) {
		return fmt.Errorf("%w: %w", plant.ErrInvalid, err)
	}
	return err
}

// engineStatus gives the API the alerting engine's device status, the one
// implementation of CONTRACT §6 (the timelines and reports read the same).
func engineStatus(e *alerting.Engine) api.StatusFunc {
	return func(d plant.Device, _ ingest.DeviceState, _ bool, now time.Time) plant.Status {
		return e.Status(d, now)
	}
}

// contacts serves api.Contacts from notify.
type contacts struct{ s *notify.Service }

func (c contacts) List(ctx context.Context) ([]api.Contact, error) {
	list, err := c.s.Contacts(ctx, notify.ContactFilter{})
	return list, err
}

func (c contacts) Get(ctx context.Context, id int64) (api.Contact, error) {
	x, err := c.s.Contact(ctx, id)
	return x, err
}

func (c contacts) Create(ctx context.Context, x api.Contact) (api.Contact, error) {
	y, err := c.s.CreateContact(ctx, x)
	return y, err
}

func (c contacts) Update(ctx context.Context, x api.Contact) (api.Contact, error) {
	y, err := c.s.UpdateContact(ctx, x)
	return y, err
}

func (c contacts) Delete(ctx context.Context, id int64) error {
	return c.s.DeleteContact(ctx, id)
}

// deliveries serves the delivery log from notify.
func deliveries(s *notify.Service) api.DeliveriesFunc {
	return func(ctx context.Context, f api.DeliveryFilter) ([]api.Delivery, error) {
		list, err := s.Deliveries(ctx, notify.DeliveryFilter{
			AlertID: f.AlertID, ContactID: f.ContactID, Facility: f.Facility,
			Channel: notify.Channel(f.Channel), State: f.State, BeforeID: f.BeforeID, Limit: f.Limit,
		})
		out := make([]api.Delivery, len(list))
		for i, d := range list {
			out[i] = api.Delivery{
				ID: d.ID, AlertID: d.AlertID, Event: d.Event, Facility: d.Facility, ContactID: d.ContactID,
				Recipient: d.Recipient, Channel: string(d.Channel), Address: d.Address, Tier: d.Tier,
				State: d.State, Attempts: d.Attempts, LastError: d.LastError, CreatedAt: d.CreatedAt,
				SentAt: d.SentAt, Text: d.Text,
			}
		}
		return out, err
	}
}

// reports serves api.Reports from report.Reporter.
type reports struct{ r *report.Reporter }

func (a reports) query(q api.ReportQuery) (report.Query, error) {
	rq, err := a.r.ParseQuery(q.From, q.To, q.Group, q.Regions)
	return rq, badQuery(err)
}

func (a reports) Uptime(ctx context.Context, q api.ReportQuery) (api.Report, error) {
	rq, err := a.query(q)
	if err != nil {
		return nil, err
	}
	r, err := a.r.Uptime(ctx, rq)
	if err != nil {
		return nil, badQuery(err)
	}
	return r, nil
}

func (a reports) Supply(ctx context.Context, q api.ReportQuery) (api.Report, error) {
	rq, err := a.query(q)
	if err != nil {
		return nil, err
	}
	r, err := a.r.Supply(ctx, rq)
	if err != nil {
		return nil, badQuery(err)
	}
	return r, nil
}

// registryForReports lists devices and facilities for reports.
type registryForReports struct{ r *store.Registry }

func (g registryForReports) Devices(ctx context.Context) ([]plant.Device, error) {
	return g.r.Devices(ctx)
}

func (g registryForReports) Facilities(ctx context.Context) ([]plant.Facility, error) {
	return g.r.Facilities(ctx)
}

// Retired lets reports cover devices deleted during a period
// (report.RetirementSource).
func (g registryForReports) Retired(ctx context.Context, from, to time.Time) ([]report.RetiredDevice, error) {
	list, err := g.r.Retired(ctx, from, to)
	out := make([]report.RetiredDevice, len(list))
	for i, d := range list {
		out[i] = report.RetiredDevice{Device: d.Device, RetiredAt: d.RetiredAt}
	}
	return out, err
}

var _ report.RetirementSource = registryForReports{}
