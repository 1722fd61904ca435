package alerting

import (
	"fmt"
	"math"
	"sync"

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

// facilities counts every facility's devices and outages and owns the
// facility_outage alerts. It owns its lock (a facility alert's fields are
// under it) and calls only parts below it: the silences, and the alert
// book, with its lock held. Devices' shards call it with theirs held.
type facilities struct {
	book *alertBook
	sil  *silences

	on    bool
	sev   plant.Severity
	min   int
	delay int64 // how long a facility out of power waits before its alert

	mu        sync.Mutex
	fac       map[string]*facility
	restoring bool // New is rebuilding state: checks wait for recount
}

func newFacilities(c *compiler, book *alertBook, sil *silences) *facilities {
	f := &facilities{book: book, sil: sil, fac: map[string]*facility{}}
	f.on, f.sev, f.min, f.delay = c.facilitySpec()
	return f
}

// move moves a device in outage o between facilities (from or to may be
// ""); region and country are the device's.
func (fs *facilities) move(from, to, region, country string, o outage, now int64) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f := fs.fac[from]; from != "" && f != nil {
		f.n--
		f.count(o, -1)
		fs.check(from, f, now)
	}
	if to == "" {
		return
	}
	f := fs.fac[to]
	if f == nil {
		f = &facility{}
		fs.fac[to] = f
	}
	f.n++
	f.region, f.country = region, country
	f.count(o, 1)
	fs.check(to, f, now)
}

// recount moves one device of name from outage old to out.
func (fs *facilities) recount(name string, old, out outage, now int64) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := fs.fac[name]
	if f == nil {
		return
	}
	f.count(old, -1)
	f.count(out, 1)
	fs.check(name, f, now)
}

// check fires or resolves a facility's alert; under fs.mu.
func (fs *facilities) check(name string, f *facility, now int64) {
	if fs.restoring {
		return
	}
	down := fs.on && f.n >= fs.min && f.out == f.n
	switch {
	case !down:
		f.since = 0
	case f.since == 0:
		f.since = now
	}
	// Devices that went quiet together raise it at once; a facility that
	// lost mains waits delay, so a generator that takes over does not page.
	due := down && (f.powerOut == 0 || now-f.since >= fs.delay)
	switch {
	case due && f.alert == nil:
		f.alert = &openAlert{a: plant.Alert{
			Rule: RuleFacilityOutage, Facility: name, Region: f.region, Country: f.country,
			Severity: fs.sev, State: plant.AlertFiring, StartedAt: unixUTC(now),
			Summary: fmt.Sprintf("all %d devices of facility %s are offline, on battery or without power", f.n, name),
		}}
		fs.book.add(f.alert, fs.sil.matches("", name, f.region, RuleFacilityOutage, now), now)
	case !down && f.alert != nil:
		oa := f.alert
		f.alert = nil
		oa.a.Value = floatPtr(math.NaN())
		fs.book.resolve(oa, now)
	}
}

// settle raises the alerts of facilities that waited out their delay.
func (fs *facilities) settle(now int64) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for name, f := range fs.fac {
		if f.since > 0 && f.alert == nil {
			fs.check(name, f, now)
		}
	}
}

// mutes reports whether the facility's outage mutes its devices' alerts:
// its alert is open, or it is out of power and waiting its delay (the
// sweep announces what it muted if the roll-up does not come).
func (fs *facilities) mutes(name string) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := fs.fac[name]
	return f != nil && (f.alert != nil || f.since > 0)
}

// announce announces a muted facility alert whose silence ended.
func (fs *facilities) announce(oa *openAlert, now int64) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if oa.a.State != plant.AlertFiring || fs.sil.matches("", oa.a.Facility, oa.a.Region, oa.a.Rule, now) {
		return
	}
	fs.book.announce(oa, now)
}

// acknowledge acknowledges a facility alert (see alertBook.acknowledge).
func (fs *facilities) acknowledge(oa *openAlert, by, note string, audit *auditNote, now int64) (plant.Alert, bool, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.book.acknowledge(oa, by, note, audit, now)
}

// restored gives a facility its open alert read back at start.
func (fs *facilities) restored(oa *openAlert) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := fs.fac[oa.a.Facility]
	if f == nil {
		f = &facility{region: oa.a.Region, country: oa.a.Country}
		fs.fac[oa.a.Facility] = f
	}
	f.alert = oa
}

// member is one device as its facility counts it.
type member struct {
	facility, region, country string
	outage                    outage
}

// recountAll counts every facility's devices and outages afresh from
// members, ends the restore, and settles facility alerts: one restored for
// a facility no longer down resolves, a newly down one fires.
func (fs *facilities) recountAll(members []member, now int64) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, f := range fs.fac {
		f.n, f.out = 0, 0
	}
	for _, m := range members {
		f := fs.fac[m.facility]
		if f == nil {
			f = &facility{}
			fs.fac[m.facility] = f
		}
		f.n++
		f.region, f.country = m.region, m.country
		f.count(m.outage, 1)
	}
	fs.restoring = false
	for name, f := range fs.fac {
		fs.check(name, f, now)
	}
}

// updateOutage recomputes the device's outage flag and its facility's count.
func (e *Engine) updateOutage(d *device, now int64) {
	out := d.outageNow()
	if out == d.outage {
		return
	}
	old := d.outage
	d.outage = out
	if d.info.facility != "" {
		e.fac.recount(d.info.facility, old, out, now)
	}
}
