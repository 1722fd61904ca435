package app

import (
	"context"
	"fmt"
	"time"

	"github.com/oxywatch/oxywatch/alerting"
	"github.com/oxywatch/oxywatch/api"
	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
	"github.com/oxywatch/oxywatch/report"
)

// buildAlerting builds the rule engine; it hands every alert transition to
// notify inside the transaction that stores it.
func (a *App) buildAlerting(ctx context.Context) error {
	rules, err := loadRules(a.cfg)
	if err != nil {
		return err
	}
	a.engine, err = alerting.New(ctx, alerting.Options{
		DB: a.db, Registerer: a.reg, Logger: a.log.With("component", "alerting"),
		Rules: rules, Lookup: a.devs.Device, RegisteredOnly: true,
		Devices: func() []plant.Device {
			list, err := a.devs.Devices(context.Background())
			if err != nil {
				a.log.Warn("alerting: listing the registry failed", "err", err)
			}
			return list
		},
		Notifier:     a.notify,
		KeepResolved: a.cfg.Alerting.KeepResolved,
	})
	return err
}

// loadRules reads alerting.rules_file; none gives the built-in defaults.
func loadRules(cfg config.Config) (alerting.Rules, error) {
	f := cfg.Alerting.RulesFile
	if f == "" {
		return alerting.Rules{}, nil
	}
	rules, err := alerting.LoadRules(f)
	if err != nil {
		return rules, fmt.Errorf("alerting.rules_file: %w", err)
	}
	return rules, nil
}

// dueItems keeps the items the report lists: those due, and those with a
// service on record coming due (within the last 10 % of an interval, by
// running hours or calendar, as the dashboard lists them), so the report
// says "in 120 h" or "due by 2027-03-01 (calendar)" before it happens.
// A component never serviced is listed once due (the report sums those).
func dueItems(items []alerting.MaintenanceItem, err error) ([]report.MaintenanceDue, error) {
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]report.MaintenanceDue, 0, len(items))
	for _, it := range items {
		if it.Due || (!it.LastDone.IsZero() && it.Past(0.9, now)) {
			out = append(out, it)
		}
	}
	return out, nil
}

// alerts serves api.Alerts from the engine.
type alerts struct{ e *alerting.Engine }

func (x alerts) List(ctx context.Context, f api.AlertFilter) ([]plant.Alert, error) {
	list, err := x.e.Alerts(ctx, alerting.AlertFilter{
		State: f.State, Device: f.Device, Facility: f.Facility, Region: f.Region, Severity: f.Severity, Rule: f.Rule,
		Regions: f.Regions, BeforeID: f.BeforeID, Limit: f.Limit,
	})
	return list, err
}

func (x alerts) Get(ctx context.Context, id int64) (plant.Alert, error) {
	al, err := x.e.Alert(ctx, id)
	return al, err
}

func (x alerts) Ack(ctx context.Context, id int64, by, note string) (plant.Alert, error) {
	al, err := x.e.Ack(ctx, id, by, note)
	return al, err
}

// silences serves api.Silences from the engine.
type silences struct{ e *alerting.Engine }

func (x silences) List(ctx context.Context) ([]api.Silence, error) {
	list, err := x.e.Silences(ctx)
	return list, err
}

func (x silences) Create(ctx context.Context, s api.Silence) (api.Silence, error) {
	c, err := x.e.CreateSilence(ctx, s)
	return c, err
}

func (x silences) Delete(ctx context.Context, id int64) error {
	return x.e.DeleteSilence(ctx, id)
}

func (x silences) End(ctx context.Context, id int64) (api.Silence, bool, error) {
	s, kept, err := x.e.EndSilence(ctx, id)
	return s, kept, err
}

// maintenance serves api.Maintenance from the engine's maintenance clocks.
type maintenance struct {
	e    *alerting.Engine
	live func(plant.DeviceID) (plant.LiveState, bool) // ingest's newest reading of each device
}

// Record logs a service. A record without runtime_h takes the device's
// newest runtime: the engine's, else the newest reading ingest holds (a
// backlog just received, which the engine keeps out of its live values).
func (x maintenance) Record(ctx context.Context, r plant.ServiceRecord) (plant.ServiceRecord, error) {
	if _, known := x.e.Runtime(r.Device); r.RuntimeH == 0 && !known && x.live != nil {
		if st, ok := x.live(r.Device); ok && st.LastReading != nil && st.LastReading.Runtime != nil {
			r.RuntimeH = *st.LastReading.Runtime
		}
	}
	rec, err := x.e.RecordService(ctx, r)
	return rec, err
}

// Hold lets an import record a service history without running the
// devices' clocks until release (see alerting.Engine.HoldClocks).
func (x maintenance) Hold(ctx context.Context) (context.Context, func(context.Context) error) {
	return x.e.HoldClocks(ctx)
}

func (x maintenance) Due(ctx context.Context) ([]api.MaintenanceDue, error) {
	items, err := x.e.MaintenanceDue(ctx)
	out := make([]api.MaintenanceDue, 0, len(items))
	now := time.Now()
	for _, it := range items {
		if it.Due || it.Past(0.9, now) { // due, or within 10 %
			out = append(out, it)
		}
	}
	return out, err
}

// registryForAPI is the registry as the API changes it: alerting re-reads
// a device it changed or removed at once, so a removed device's alerts
// resolve and it never goes "offline".
type registryForAPI struct {
	*store.Registry
	engine *alerting.Engine
}

func (r registryForAPI) Put(ctx context.Context, d plant.Device) (bool, error) {
	created, err := r.Registry.Put(ctx, d)
	if err == nil {
		r.engine.Refresh(d.ID)
	}
	return created, err
}

func (r registryForAPI) Delete(ctx context.Context, id plant.DeviceID) error {
	err := r.Registry.Delete(ctx, id)
	if err == nil {
		r.engine.Refresh(id)
	}
	return err
}
