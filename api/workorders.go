package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/report"
)

// WorkOrders stores repair tickets (issue 17). *store.Registry satisfies
// it; the API uses it when its Registry does (the routes answer 501
// otherwise). Writes record the audit entry their context carries in the
// same transaction.
type WorkOrders interface {
	// OpenWorkOrder stores a new open work order; when its alert has one
	// already, that one comes back with created false.
	OpenWorkOrder(ctx context.Context, wo plant.WorkOrder) (saved plant.WorkOrder, created bool, err error)
	CloseWorkOrder(ctx context.Context, id int64, c plant.WorkOrderClose) (plant.WorkOrder, error)
	WorkOrder(ctx context.Context, id int64) (plant.WorkOrder, error)
	WorkOrders(ctx context.Context, f plant.WorkOrderFilter) ([]plant.WorkOrder, error)
}

// WorkOrderJSON is a work order as the API shows it. Times are RFC 3339
// UTC; alert_id, closed_at and restored_at are null when unset.
type WorkOrderJSON struct {
	ID         int64          `json:"id"`
	DeviceID   plant.DeviceID `json:"device_id"`
	FacilityID string         `json:"facility_id"`
	Region     string         `json:"region"`
	AlertID    *int64         `json:"alert_id"`
	Status     string         `json:"status"` // open or closed
	OpenedAt   time.Time      `json:"opened_at"`
	ClosedAt   *time.Time     `json:"closed_at"`
	RestoredAt *time.Time     `json:"restored_at"`
	Fault      string         `json:"fault"`
	Cause      string         `json:"cause"`
	Parts      []plant.Part   `json:"parts"`
	Note       string         `json:"note"`
	OpenedBy   string         `json:"opened_by"`
	ClosedBy   string         `json:"closed_by"`
}

func workOrderJSON(wo plant.WorkOrder) WorkOrderJSON {
	out := WorkOrderJSON{ID: wo.ID, DeviceID: wo.Device, FacilityID: wo.Facility, Region: wo.Region,
		Status: string(wo.Status), OpenedAt: wo.OpenedAt.UTC(), Fault: wo.Fault, Cause: wo.Cause,
		Parts: wo.Parts, Note: wo.Note, OpenedBy: wo.OpenedBy, ClosedBy: wo.ClosedBy}
	if wo.AlertID != 0 {
		out.AlertID = &wo.AlertID
	}
	if !wo.ClosedAt.IsZero() {
		t := wo.ClosedAt.UTC()
		out.ClosedAt = &t
	}
	if !wo.RestoredAt.IsZero() {
		t := wo.RestoredAt.UTC()
		out.RestoredAt = &t
	}
	if out.Parts == nil {
		out.Parts = []plant.Part{}
	}
	return out
}

// OpenWorkOrderRequest is the body of POST /work-orders.
type OpenWorkOrderRequest struct {
	DeviceID plant.DeviceID `json:"device_id"`
	AlertID  int64          `json:"alert_id,omitempty"`
	OpenedAt string         `json:"opened_at,omitempty"` // RFC 3339 or a date; empty = now
	Fault    string         `json:"fault"`               // plant.FaultCodes
	Note     string         `json:"note,omitempty"`
}

// AlertWorkOrderRequest is the body of POST /alerts/{id}/work-order (it may
// be empty).
type AlertWorkOrderRequest struct {
	Note string `json:"note,omitempty"`
}

// CloseWorkOrderRequest is the body of POST /work-orders/{id}/close.
type CloseWorkOrderRequest struct {
	ClosedAt   string       `json:"closed_at,omitempty"`   // empty = now
	RestoredAt string       `json:"restored_at,omitempty"` // empty = closed_at
	Cause      string       `json:"cause"`
	Parts      []plant.Part `json:"parts,omitempty"`
	Note       string       `json:"note,omitempty"`
}

// openWorkOrder is POST /work-orders.
func (s *server) openWorkOrder(w http.ResponseWriter, r *http.Request) {
	wos, ok := registryPart[WorkOrders](s, w, r, "api.part.work_orders")
	if !ok {
		return
	}
	var in OpenWorkOrderRequest
	if !s.decode(w, r, &in) {
		return
	}
	wo := plant.WorkOrder{Device: in.DeviceID, AlertID: in.AlertID, Note: in.Note, OpenedBy: principal(r).Actor()}
	var errs []FieldError
	if !plant.ValidDeviceID(string(in.DeviceID)) {
		errs = append(errs, fieldErr("device_id", "field.bad_device_id.pattern", string(in.DeviceID)))
	}
	var err error
	if wo.Fault, err = plant.ParseFault(in.Fault); err != nil {
		errs = append(errs, fieldOf("fault", err))
	}
	wo.OpenedAt, errs = s.pastTime("opened_at", in.OpenedAt, errs)
	if len(in.Note) > 2000 {
		errs = append(errs, fieldErr("note", "field.too_long", 2000))
	}
	if in.AlertID < 0 {
		errs = append(errs, fieldErr("alert_id", "field.not_positive"))
	}
	if len(errs) > 0 {
		problemFields(w, r, http.StatusBadRequest, "api.invalid_work_order", errs)
		return
	}
	d, err := s.opt.Registry.Get(r.Context(), wo.Device)
	if errors.Is(err, ErrNotFound) {
		problemFields(w, r, http.StatusBadRequest, "api.invalid_work_order", []FieldError{fieldErr("device_id", "field.not_registered", string(wo.Device))})
		return
	}
	if err == nil {
		err = s.allow(r, registered(d))
	}
	if err == nil && wo.AlertID != 0 {
		err = s.checkWorkOrderAlert(r, wo)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.saveWorkOrder(w, r, wos, wo)
}

// checkWorkOrderAlert checks that the alert a work order names is one the
// caller sees, about the same device.
func (s *server) checkWorkOrderAlert(r *http.Request, wo plant.WorkOrder) error {
	if s.opt.Alerts == nil {
		return nil // nothing to check against; the id is kept as given
	}
	a, err := s.opt.Alerts.Get(r.Context(), wo.AlertID)
	if errors.Is(err, ErrNotFound) || (err == nil && a.State == plant.AlertPending) {
		return invalidFields{fieldErr("alert_id", "field.no_such_alert", itoa(wo.AlertID))}
	}
	if err != nil {
		return err
	}
	if !s.scope(r).inside(inRegion(a.Region)) {
		return errOutsideRegions
	}
	if a.Device != wo.Device {
		return invalidFields{fieldErr("alert_id", "field.wrong_device", itoa(a.ID), string(a.Device), string(wo.Device))}
	}
	return nil
}

// alertWorkOrder is POST /alerts/{id}/work-order: the work order of a
// device alert, opened at the alert's start for its rule; 200 with the
// existing one on a second call.
func (s *server) alertWorkOrder(w http.ResponseWriter, r *http.Request) {
	a, ok := s.alert(w, r)
	if !ok {
		return
	}
	wos, ok := registryPart[WorkOrders](s, w, r, "api.part.work_orders")
	if !ok {
		return
	}
	var in AlertWorkOrderRequest
	if r.ContentLength != 0 && !s.decode(w, r, &in) {
		return
	}
	if len(in.Note) > 2000 {
		problemFields(w, r, http.StatusBadRequest, "api.invalid_work_order", []FieldError{fieldErr("note", "field.too_long", 2000)})
		return
	}
	if a.Device == "" {
		problemT(w, r, http.StatusBadRequest, "api.facility_alert_work_order", strconv.FormatInt(a.ID, 10), a.Facility)
		return
	}
	d, err := s.opt.Registry.Get(r.Context(), a.Device)
	if err == nil {
		err = s.allow(r, registered(d)) // the device as registered now, where the work order goes
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	wo := plant.WorkOrder{Device: a.Device, AlertID: a.ID, OpenedAt: a.StartedAt, Fault: a.Rule, Note: in.Note, OpenedBy: principal(r).Actor()}
	s.saveWorkOrder(w, r, wos, wo)
}

// saveWorkOrder opens wo: 201 with it, or 200 with the alert's existing one.
func (s *server) saveWorkOrder(w http.ResponseWriter, r *http.Request, wos WorkOrders, wo plant.WorkOrder) {
	detail := map[string]any{"device": wo.Device, "fault": wo.Fault, "opened_at": wo.OpenedAt.UTC(), "alert_id": wo.AlertID}
	saved, created, err := wos.OpenWorkOrder(s.withAudit(r, "work_order.open", "", detail), wo)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if !created {
		if !s.scope(r).inside(inRegion(saved.Region)) {
			s.fail(w, r, errOutsideRegions)
			return
		}
		status = http.StatusOK
	}
	writeJSON(w, status, workOrderJSON(saved))
}

// listWorkOrders is GET /work-orders?device=&status=&from=&to=&limit=&cursor=:
// one page of the work orders open at some time in [from, to), newest
// opened first.
func (s *server) listWorkOrders(w http.ResponseWriter, r *http.Request) {
	wos, ok := registryPart[WorkOrders](s, w, r, "api.part.work_orders")
	if !ok {
		return
	}
	q := r.URL.Query()
	f := plant.WorkOrderFilter{Device: plant.DeviceID(q.Get("device")), Status: plant.WorkOrderStatus(q.Get("status"))}
	var errs []FieldError
	if f.Status != "" && f.Status != plant.WorkOrderOpen && f.Status != plant.WorkOrderClosed {
		errs = append(errs, fieldErr("status", "field.unknown_value.wo_status"))
	}
	f.From, errs = queryTime(q.Get("from"), "from", errs)
	f.To, errs = queryTime(q.Get("to"), "to", errs)
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		errs = append(errs, fieldErr("to", "field.not_after.from"))
	}
	if len(errs) > 0 {
		problemFields(w, r, http.StatusBadRequest, "api.invalid_work_order_query", errs)
		return
	}
	limit, after, err := pageParams(r)
	if err != nil {
		problemErr(w, r, http.StatusBadRequest, err)
		return
	}
	list, err := wos.WorkOrders(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := s.scope(r)
	out := []WorkOrderJSON{}
	for _, wo := range list {
		if f.Matches(wo) && sc.inside(inRegion(wo.Region)) {
			out = append(out, workOrderJSON(wo))
		}
	}
	sortBy(out, workOrderKey)
	items, next := page(out, workOrderKey, limit, after)
	writeJSON(w, http.StatusOK, List[WorkOrderJSON]{Items: items, Next: next})
}

// workOrderKey sorts work orders newest opened first, the higher id first
// between two opened at the same instant (the store's order).
func workOrderKey(wo WorkOrderJSON) string {
	return descTime(wo.OpenedAt) + descKey(wo.ID)
}

// queryTime reads an optional query time: RFC 3339 or a date (midnight UTC).
func queryTime(v, field string, errs []FieldError) (time.Time, []FieldError) {
	if v == "" {
		return time.Time{}, errs
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, errs
	}
	t, err := parseTime(v)
	if err != nil {
		return t, append(errs, fieldOf(field, err))
	}
	return t, errs
}

// workOrder loads work order {id}, when the caller may see it.
func (s *server) workOrder(w http.ResponseWriter, r *http.Request) (plant.WorkOrder, WorkOrders, bool) {
	wos, ok := registryPart[WorkOrders](s, w, r, "api.part.work_orders")
	if !ok {
		return plant.WorkOrder{}, nil, false
	}
	id, ok := parseID(w, r)
	if !ok {
		return plant.WorkOrder{}, nil, false
	}
	wo, err := wos.WorkOrder(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return wo, nil, false
	}
	if !s.scope(r).inside(inRegion(wo.Region)) {
		problemT(w, r, http.StatusForbidden, "api.work_order_outside_regions")
		return wo, nil, false
	}
	return wo, wos, true
}

// getWorkOrder is GET /work-orders/{id}.
func (s *server) getWorkOrder(w http.ResponseWriter, r *http.Request) {
	if wo, _, ok := s.workOrder(w, r); ok {
		writeJSON(w, http.StatusOK, workOrderJSON(wo))
	}
}

// closeWorkOrder is POST /work-orders/{id}/close.
func (s *server) closeWorkOrder(w http.ResponseWriter, r *http.Request) {
	wo, wos, ok := s.workOrder(w, r)
	if !ok {
		return
	}
	var in CloseWorkOrderRequest
	if !s.decode(w, r, &in) {
		return
	}
	if wo.Status == plant.WorkOrderClosed {
		problemT(w, r, http.StatusConflict, "api.work_order_closed", strconv.FormatInt(wo.ID, 10), wo.ClosedAt.UTC().Format(time.RFC3339), wo.ClosedBy)
		return
	}
	c := plant.WorkOrderClose{Cause: in.Cause, Parts: in.Parts, Note: in.Note, ClosedBy: principal(r).Actor()}
	var errs []FieldError
	c.ClosedAt, errs = s.pastTime("closed_at", in.ClosedAt, errs)
	if in.RestoredAt != "" {
		c.RestoredAt, errs = s.pastTime("restored_at", in.RestoredAt, errs)
	}
	if len(errs) == 0 {
		if field, err := plant.CheckClose(wo, c); err != nil {
			errs = append(errs, fieldOf(field, err))
		}
	}
	if len(errs) > 0 {
		problemFields(w, r, http.StatusBadRequest, "api.invalid_work_order_close", errs, errs[0].Field, errs[0].err)
		return
	}
	detail := map[string]any{"device": wo.Device, "cause": c.Cause, "closed_at": c.ClosedAt.UTC(), "parts": len(c.Parts)}
	saved, err := wos.CloseWorkOrder(s.withAudit(r, "work_order.close", itoa(wo.ID), detail), wo.ID, c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, workOrderJSON(saved))
}

// pastTime reads a body time named field: a day (midnight UTC) or an RFC
// 3339 time, not in the future; empty is now.
func (s *server) pastTime(field, v string, errs []FieldError) (time.Time, []FieldError) {
	now := s.opt.Now().UTC()
	if v == "" {
		return now, errs
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		if t, err = parseTime(v); err != nil {
			return now, append(errs, fieldErr(field, "field.bad_date"))
		}
	}
	if t.After(now.Add(maxClockSkew)) {
		return now, append(errs, fieldErr(field, "field.future_date"))
	}
	return t, errs
}

// RepairReports is optionally implemented by Reports: the repairs report
// from work orders (report.Reporter.Repairs behind an adapter). It answers
// an error wrapping report.ErrNoWorkOrders when the registry keeps none.
type RepairReports interface {
	Repairs(ctx context.Context, q ReportQuery) (Report, error)
}

// repairsReport is GET /reports/repairs.
func (s *server) repairsReport(w http.ResponseWriter, r *http.Request) {
	s.report(w, r, "repairs", []string{"device", "facility", "region", "country"})
}

func (s *server) repairs(r *http.Request, q ReportQuery) (Report, error) {
	rr, ok := s.opt.Reports.(RepairReports)
	if !ok {
		return nil, report.ErrNoWorkOrders
	}
	return rr.Repairs(r.Context(), q)
}
