package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

func chiParam(r *http.Request, name string) string { return chi.URLParam(r, name) }

// deviceCache keeps the registry's device list for a short time, so a fleet
// of thousands polled by many dashboards costs one SQLite scan per TTL.
// Writes through the API drop it at once.
type deviceCache struct {
	reg Registry
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	list    []plant.Device
	byID    map[plant.DeviceID]int
	fetched time.Time
}

func newDeviceCache(reg Registry, ttl time.Duration, now func() time.Time) *deviceCache {
	return &deviceCache{reg: reg, ttl: ttl, now: now}
}

func (c *deviceCache) all(ctx context.Context) ([]plant.Device, map[plant.DeviceID]int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.list != nil && c.ttl > 0 && c.now().Sub(c.fetched) < c.ttl {
		return c.list, c.byID, nil
	}
	list, err := c.reg.Devices(ctx)
	if err != nil {
		return nil, nil, err
	}
	if list == nil {
		list = []plant.Device{}
	}
	byID := make(map[plant.DeviceID]int, len(list))
	for i, d := range list {
		byID[d.ID] = i
	}
	c.list, c.byID, c.fetched = list, byID, c.now()
	return list, byID, nil
}

func (c *deviceCache) invalidate() {
	c.mu.Lock()
	c.list = nil
	c.mu.Unlock()
}

// view completes a registry entry with its live state and status.
func (s *server) view(d plant.Device, now time.Time) plant.Device {
	var ok bool
	if s.opt.Live != nil {
		state, found := s.opt.Live.Get(d.ID)
		ok = found
		if found {
			d.LastSeen = state.LastSeen.UTC()
			if state.LastReading != nil {
				r := *state.LastReading
				r.Time = r.Time.UTC()
				d.LastReading = &r
			}
			d.LastError, d.LastErrorCode = state.LastError, state.LastErrorCode
		}
		d.Status = s.opt.Status(d, state, ok, now)
		return d
	}
	d.Status = plant.StatusNoData
	return d
}

// deviceFilter is the query of GET /devices.
type deviceFilter struct {
	region, facility, country, kind, status string
}

func (f deviceFilter) matchesEntry(d plant.Device) bool {
	return (f.region == "" || d.Region == f.region) && (f.facility == "" || d.Facility == f.facility) &&
		(f.country == "" || d.Country == f.country) && (f.kind == "" || string(d.Kind) == f.kind)
}

// filteredDevices lists the registry entries the caller may see that match
// the query, sorted by id, and whether a status filter was asked (which
// needs every entry's live view).
func (s *server) filteredDevices(r *http.Request) ([]plant.Device, string, error) {
	q := r.URL.Query()
	f := deviceFilter{q.Get("region"), q.Get("facility"), q.Get("country"), q.Get("kind"), q.Get("status")}
	if f.kind != "" {
		if _, err := plant.ParseKind(f.kind); err != nil {
			return nil, "", invalidFields{fieldOf("kind", err)}
		}
	}
	if f.status != "" && !validStatus(f.status) {
		return nil, "", i18n.Wrap(ErrInvalid, "api.bad_status", f.status)
	}
	all, _, err := s.devices.all(r.Context())
	if err != nil {
		return nil, "", err
	}
	sc := s.scope(r)
	out := make([]plant.Device, 0, len(all))
	for _, d := range all {
		if sc.inside(inRegion(d.Region)) && f.matchesEntry(d) {
			out = append(out, d)
		}
	}
	return out, f.status, nil
}

// views completes entries with live state, keeping those of status (all
// when status is empty).
func (s *server) views(devs []plant.Device, status string) []plant.Device {
	now := s.opt.Now()
	out := make([]plant.Device, 0, len(devs))
	for _, d := range devs {
		v := s.view(d, now)
		if status == "" || string(v.Status) == status {
			out = append(out, v)
		}
	}
	return out
}

func validStatus(s string) bool {
	for _, st := range plant.Statuses {
		if string(st) == s {
			return true
		}
	}
	return false
}

func deviceKey(d plant.Device) string { return string(d.ID) }

func (s *server) listDevices(w http.ResponseWriter, r *http.Request) {
	if s.opt.Registry == nil {
		notConfigured(w, r, "api.part.device_registry")
		return
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" {
		problemT(w, r, http.StatusBadRequest, "api.bad_format_json_csv")
		return
	}
	limit, after, err := pageParams(r)
	if err != nil {
		problemErr(w, r, http.StatusBadRequest, err)
		return
	}
	devs, status, err := s.filteredDevices(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if format == "csv" {
		s.exportCSV(w, r, s.views(devs, status))
		return
	}
	if status != "" {
		devs = s.views(devs, status)
	}
	// Without a status filter only the page's devices need their live view.
	items, next := page(devs, deviceKey, limit, after)
	if status == "" {
		items = s.views(items, "")
	}
	writeJSON(w, http.StatusOK, List[plant.Device]{Items: items, Next: next})
}

// device loads one device the caller may see: 404 when missing, 403 when it
// is outside the caller's regions.
func (s *server) device(w http.ResponseWriter, r *http.Request) (plant.Device, bool) {
	if s.opt.Registry == nil {
		notConfigured(w, r, "api.part.device_registry")
		return plant.Device{}, false
	}
	id := plant.DeviceID(chiParam(r, "id"))
	if !plant.ValidDeviceID(string(id)) {
		problemT(w, r, http.StatusBadRequest, "api.bad_device_id", id)
		return plant.Device{}, false
	}
	d, err := s.opt.Registry.Get(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return plant.Device{}, false
	}
	if !s.scope(r).inside(inRegion(d.Region)) {
		problemT(w, r, http.StatusForbidden, "api.device_outside_regions")
		return plant.Device{}, false
	}
	return d, true
}

func (s *server) getDevice(w http.ResponseWriter, r *http.Request) {
	d, ok := s.device(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, s.view(d, s.opt.Now()))
}

// devicePut is the writable part of a device. Read-only fields (status,
// last_seen, …) are accepted so a GET answer can be sent back, and ignored.
type devicePut struct {
	plant.Device
}

func (s *server) putDevice(w http.ResponseWriter, r *http.Request) {
	if s.opt.Registry == nil {
		notConfigured(w, r, "api.part.device_registry")
		return
	}
	id := plant.DeviceID(chiParam(r, "id"))
	var in devicePut
	if !s.decode(w, r, &in) {
		return
	}
	d := in.Device
	if d.ID == "" {
		d.ID = id
	}
	if d.ID != id {
		problemT(w, r, http.StatusBadRequest, "api.body_id_differs_named", d.ID, id)
		return
	}
	if d.Kind == "" {
		d.Kind = plant.KindUnknown
	}
	created, err := s.saveDevice(r, d)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	saved, err := s.opt.Registry.Get(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, s.view(saved, s.opt.Now()))
}

// saveDevice validates, checks regions (of the new entry and of any entry it
// replaces), saves and audits one device.
func (s *server) saveDevice(r *http.Request, d plant.Device) (bool, error) {
	if errs := deviceTagValues(d); len(errs) > 0 {
		return false, errs
	}
	if err := store.ValidateDevice(d); err != nil {
		if fields := fieldsOf(err); len(fields) > 0 {
			return false, fields
		}
		return false, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	sc := s.scope(r)
	if err := sc.allow(sc.existing(d.ID), placed(d)); err != nil {
		return false, err
	}
	d.Status, d.LastSeen, d.LastReading, d.LastError, d.LastErrorCode = "", time.Time{}, nil, "", ""
	action := "device.update"
	if _, err := s.opt.Registry.Get(r.Context(), d.ID); errors.Is(err, ErrNotFound) {
		action = "device.create"
	}
	entry := d
	entry.CreatedAt = time.Time{}
	created, err := s.opt.Registry.Put(s.withAudit(r, action, string(d.ID), entry), d)
	s.devices.invalidate()
	if errors.Is(err, store.ErrSMSNumberTaken) {
		return false, i18n.Wrap(ErrConflict, "api.sms_number_taken", d.SMSNumber)
	}
	return created, err
}

func (s *server) deleteDevice(w http.ResponseWriter, r *http.Request) {
	d, ok := s.device(w, r)
	if !ok {
		return
	}
	if err := s.allow(r, registered(d)); err != nil {
		s.fail(w, r, err)
		return
	}
	err := s.opt.Registry.Delete(s.withAudit(r, "device.delete", string(d.ID), nil), d.ID)
	s.devices.invalidate()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.revokeTokensOf(r, d.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
