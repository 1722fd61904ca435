package api

import (
	"time"

	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// DefaultStatus derives a status from the newest reading alone, for servers
// whose alert engine does not provide one: no_data when the device is silent
// for three report intervals or said offline; down on fault, off or no
// power; maintenance when it says so; degraded below the purity spec
// (90 % PSA, 85 % concentrator, 82 % otherwise); operational otherwise.
func DefaultStatus(d plant.Device, st ingest.DeviceState, ok bool, now time.Time) plant.Status {
	if !ok || st.LastReading == nil || st.Connectivity == plant.Offline ||
		now.Sub(st.LastSeen) > 3*d.ReportInterval() {
		return plant.StatusNoData
	}
	r := st.LastReading
	switch {
	case r.State == plant.StateFault || r.State == plant.StateOff || r.Power == plant.PowerNone:
		return plant.StatusDown
	case r.State == plant.StateMaintenance:
		return plant.StatusMaintenance
	case r.Purity != nil && *r.Purity < puritySpec(d.Kind):
		return plant.StatusDegraded
	}
	return plant.StatusOperational
}

func puritySpec(k plant.Kind) float64 {
	switch k {
	case plant.KindPSA:
		return 90
	case plant.KindConcentrator:
		return 85
	}
	return 82
}
