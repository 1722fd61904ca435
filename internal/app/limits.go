package app

import (
	"context"
	"math"

	"github.com/oxywatch/oxywatch/alerting"
	"github.com/oxywatch/oxywatch/api"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// limits serves api.LimitsSource from the alerting engine's compiled rules,
// so the dashboard's charts draw the limits that fire.
type limits struct{ e *alerting.Engine }

func (l limits) Limits(_ context.Context, d plant.Device) (api.DeviceLimits, error) {
	return apiLimits(l.e.Limits(d)), nil
}

// apiLimits converts the engine's view to the API's (durations in seconds,
// the warning share in per cent).
func apiLimits(dl alerting.DeviceLimits) api.DeviceLimits {
	out := api.DeviceLimits{
		Device: dl.Device, Use: dl.Use, MeasurementPoint: dl.Point, OfflineIntervals: dl.OfflineIntervals, Maintenance: dl.Maintenance,
		MaintenanceWarnPct: math.Round(1e6*dl.MaintenanceWarn) / 1e4,
		Limits:             make([]api.Limit, len(dl.Limits)), Service: make([]api.ServiceInterval, len(dl.Service)),
	}
	for i, l := range dl.Limits {
		out.Limits[i] = api.Limit{
			Rule: l.Rule, Field: l.Field, Above: l.Above, Level: l.Level, Clear: l.Clear, Unit: l.Unit,
			Severity: l.Severity, ForS: l.For.Seconds(), ForReadings: l.ForReadings, WarmUpS: l.WarmUp.Seconds(),
		}
	}
	for i, c := range dl.Service {
		out.Service[i] = api.ServiceInterval{Component: c.Component, Hours: c.Hours, Months: c.Months, Days: c.Days}
	}
	return out
}
