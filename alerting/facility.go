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
	powerOut        int   // of out, devices out only for want of power
	since           int64 // every device out since; 0 when not
	region, country string
	alert           *openAlert
}

// outage is why a device counts against its facility.
type outage uint8

const (
	outNone    outage = iota
	outPower          // on battery or without power, still reporting
	outOffline        // past its deadline or said offline
)

func (d *device) outageNow() outage {
	switch {
	case d.offline:
		return outOffline
	case d.power == plant.PowerNone || d.power == plant.PowerBattery:
		return outPower
	}
	return outNone
}

func (f *facility) count(o outage, delta int) {
	if o != outNone {
		f.out += delta
	}
	if o == outPower {
		f.powerOut += delta
	}
}

// moveFacility moves a device between facilities (from or to may be "").
func (e *Engine) moveFacility(d *device, from, to string, now int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if f := e.fac[from]; from != "" && f != nil {
		f.n--
		f.count(d.outage, -1)
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
	f.count(d.outage, 1)
	e.checkFacilityLocked(to, f, now)
}

// updateOutage recomputes the device's outage flag and its facility's count.
func (e *Engine) updateOutage(d *device, now int64) {
	out := d.outageNow()
	if out == d.outage {
		return
	}
	old := d.outage
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
	f.count(old, -1)
	f.count(out, 1)
	e.checkFacilityLocked(d.info.facility, f, now)
}

func (e *Engine) checkFacilityLocked(name string, f *facility, now int64) {
	if e.restoring {
		return
	}
	down := e.facOn && f.n >= e.facMin && f.out == f.n
	switch {
	case !down:
		f.since = 0
	case f.since == 0:
		f.since = now
	}
	// Devices that went quiet together raise it at once; a facility that
	// lost mains waits facFor, so a generator that takes over does not page.
	due := down && (f.powerOut == 0 || now-f.since >= e.facFor)
	switch {
	case due && f.alert == nil:
		f.alert = &openAlert{a: plant.Alert{
			Rule: RuleFacilityOutage, Facility: name, Region: f.region, Country: f.country,
			Severity: e.facSev, State: plant.AlertFiring, StartedAt: unixUTC(now),
			Summary: fmt.Sprintf("all %d devices of facility %s are offline, on battery or without power", f.n, name),
		}}
		e.open1Locked(f.alert, e.sil.matches("", name, f.region, RuleFacilityOutage, now), now)
	case !down && f.alert != nil:
		oa := f.alert
		f.alert = nil
		oa.a.Value = floatPtr(math.NaN())
		e.close1Locked(oa, now)
	}
}

// checkFacilities settles the facilities waiting out facFor.
func (e *Engine) checkFacilities(now int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for name, f := range e.fac {
		if f.since > 0 && f.alert == nil {
			e.checkFacilityLocked(name, f, now)
		}
	}
}
