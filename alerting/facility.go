package alerting

import (
	"fmt"
	"math"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// facility counts a facility's devices and those in outage (offline or on
// power none). When every one of at least min_devices devices is in outage,
// one facility_outage alert (Device empty) fires and mutes the device alerts
// of that facility until it resolves. A silence matching the facility (and
// no device) mutes the facility alert itself.
type facility struct {
	n, out          int
	region, country string
	alert           *openAlert
}

// moveFacility moves a device between facilities (from or to may be "").
func (e *Engine) moveFacility(d *device, from, to string, now int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if f := e.fac[from]; from != "" && f != nil {
		f.n--
		if d.outage {
			f.out--
		}
		e.checkFacilityLocked(from, f, now)
	}
	if to == "" {
		return
	}
	f := e.fac[to]
	if f == nil {
		f = &facility{}
		e.fac[to] = f
	}
	f.n++
	f.region, f.country = d.info.region, d.info.country
	if d.outage {
		f.out++
	}
	e.checkFacilityLocked(to, f, now)
}

// updateOutage recomputes the device's outage flag and its facility's count.
func (e *Engine) updateOutage(d *device, now int64) {
	out := d.offline || d.power == plant.PowerNone
	if out == d.outage {
		return
	}
	d.outage = out
	if d.info.facility == "" {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.fac[d.info.facility]
	if f == nil {
		return
	}
	if out {
		f.out++
	} else {
		f.out--
	}
	e.checkFacilityLocked(d.info.facility, f, now)
}

func (e *Engine) checkFacilityLocked(name string, f *facility, now int64) {
	if e.restoring {
		return
	}
	down := e.facOn && f.n >= e.facMin && f.out == f.n
	switch {
	case down && f.alert == nil:
		f.alert = &openAlert{a: plant.Alert{
			Rule: RuleFacilityOutage, Facility: name, Region: f.region, Country: f.country,
			Severity: e.facSev, State: plant.AlertFiring, StartedAt: unixUTC(now),
			Summary: fmt.Sprintf("all %d devices of facility %s are offline or without power", f.n, name),
		}}
		e.open1Locked(f.alert, e.sil.matches("", name, f.region, RuleFacilityOutage, now), now)
	case !down && f.alert != nil:
		oa := f.alert
		f.alert = nil
		oa.a.Value = floatPtr(math.NaN())
		e.close1Locked(oa, now)
	}
}
