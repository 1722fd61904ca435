package api

import (
	"context"
	"net/http"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// LimitsSource gives the alert limits the alerting engine applies to a
// device: the built-in defaults with the rules file, its kind and model
// overrides, the threshold sets of the device's measurement point and use,
// and its device override laid over them (alerting.Engine.Limits behind an
// adapter).
type LimitsSource interface {
	Limits(ctx context.Context, d plant.Device) (DeviceLimits, error)
}

// Limit is one value rule that is on for the device.
type Limit struct {
	Rule  string `json:"rule"`  // critical_purity, low_purity, low_pressure, high_pressure, no_flow, overload
	Field string `json:"field"` // the reading it judges: purity_pct, pressure_bar, flow_lpm
	// Above: fires above level and clears at or below clear; otherwise
	// fires below level and clears at or above clear.
	Above bool    `json:"above"`
	Level float64 `json:"level"`
	Clear float64 `json:"clear"`
	// Unit of level and clear: "%", "bar", "L/min", or "% of rated flow"
	// (overload).
	Unit     string         `json:"unit"`
	Severity plant.Severity `json:"severity"`
	ForS     float64        `json:"for_s"` // seconds the value must stay bad
	// ForReadings: that many bad readings in a row fire it too (0: only
	// time does).
	ForReadings int     `json:"for_readings"`
	WarmUpS     float64 `json:"warm_up_s,omitempty"` // purity rules: hold after a start, seconds
}

// ServiceInterval is a component's service interval: running hours, and
// calendar months or days when set (whichever comes first).
type ServiceInterval struct {
	Component string  `json:"component"`
	Hours     float64 `json:"hours"`
	Months    int     `json:"months,omitempty"`
	Days      int     `json:"days,omitempty"`
}

// DeviceLimits is GET /api/v1/devices/{id}/limits.
type DeviceLimits struct {
	Device plant.DeviceID `json:"device"`
	// Use and MeasurementPoint chose the threshold sets applied: the
	// registry's, else the kind's default use and the outlet.
	Use              plant.Use   `json:"use"`
	MeasurementPoint plant.Point `json:"measurement_point"`
	Limits           []Limit     `json:"limits"`
	// OfflineIntervals: this many report intervals without a word make the
	// device offline.
	OfflineIntervals float64 `json:"offline_intervals"`
	// Maintenance: maintenance_due is on; it warns past
	// MaintenanceWarnPct of an interval.
	Maintenance        bool              `json:"maintenance"`
	MaintenanceWarnPct float64           `json:"maintenance_warn_pct"`
	Service            []ServiceInterval `json:"service"`
}

// deviceLimits answers the limits of one device the caller may see (403
// outside its regions, as the device itself).
func (s *server) deviceLimits(w http.ResponseWriter, r *http.Request) {
	if s.opt.Limits == nil {
		notConfigured(w, r, "api.part.alert_limits")
		return
	}
	d, ok := s.device(w, r)
	if !ok {
		return
	}
	l, err := s.opt.Limits.Limits(r.Context(), d)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if l.Limits == nil {
		l.Limits = []Limit{}
	}
	if l.Service == nil {
		l.Service = []ServiceInterval{}
	}
	writeJSON(w, http.StatusOK, l)
}
