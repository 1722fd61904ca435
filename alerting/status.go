package alerting

import (
	"math"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// CONTRACT §6 status is decided here and nowhere else: the timeline records
// what statusOf says of each reading, and Status reads the timeline's open
// segment, so the API, the dashboard, reports and the alerts agree.

// look is what a reading says about a device's status.
type look struct {
	state  plant.State
	power  plant.Power
	purity float64 // NaN: unknown
	alarms []string
	warm   bool // the purity rules are held by the warm-up after a start
}

// statusOf judges one instant by the device's compiled rules:
//   - maintenance when the device says so;
//   - down on state fault or off, power none, a critical device alarm, or
//     purity below critical_purity's level (not medical oxygen, WHO: 82 %),
//     unless the device is still warming up;
//   - degraded below low_purity's level (the purity spec), or below the
//     critical level while warming up, or whenever the state is unknown (a
//     word the device sent that no mapping names: it is neither running nor
//     stopped, so it is not counted as up, and it pages nobody);
//   - operational otherwise. A device in standby produces nothing to judge.
//
// A rule that is off judges nothing. Warning alarms (a dryer or temperature
// warning) leave a plant that delivers at spec operational.
func statusOf(rs *ruleSet, l look) (plant.Status, string) {
	switch {
	case l.state == plant.StateMaintenance:
		return plant.StatusMaintenance, "state:maintenance"
	case l.power == plant.PowerNone:
		// before the state: a unit without power also reports itself off,
		// and the cause a report names is the mains, not the switch
		return plant.StatusDown, "power:none"
	case l.state == plant.StateFault || l.state == plant.StateOff:
		return plant.StatusDown, "state:" + string(l.state)
	}
	if rs.r[slotDeviceFault].on {
		if code, sev := alarmFault(rs, l.alarms); sev == plant.SeverityCritical {
			return plant.StatusDown, "alarm:" + code
		}
	}
	if l.state == plant.StateUnknown {
		return plant.StatusDegraded, "state:unknown"
	}
	if l.state == plant.StateStandby || math.IsNaN(l.purity) {
		return plant.StatusOperational, ""
	}
	if c := rs.r[slotCriticalPurity]; c.on && l.purity < c.level {
		if l.warm {
			return plant.StatusDegraded, "purity:warming_up"
		}
		return plant.StatusDown, "purity:below_critical"
	}
	if c := rs.r[slotLowPurity]; c.on && l.purity < c.level {
		return plant.StatusDegraded, "purity:below_spec"
	}
	return plant.StatusOperational, ""
}

// Status is the device's status at now (CONTRACT §6), exactly as its
// timeline shows that instant: the status of the readings that cover now,
// no_data when none does (never heard, silent past its offline deadline, or
// it said offline), maintenance under a maintenance silence.
func (e *Engine) Status(dev plant.Device, now time.Time) plant.Status {
	t := now.UnixNano()
	sh := e.shardOf(dev.ID)
	sh.mu.Lock()
	d := sh.devs[dev.ID]
	st := plant.StatusNoData
	info := devInfo{facility: dev.Facility, region: dev.Region}
	if d != nil {
		info = d.info
		if d.covers(t) {
			st = d.seg.status
		}
	}
	sh.mu.Unlock()
	if e.sil.maintenance(dev.ID, info.facility, info.region, t) {
		return plant.StatusMaintenance
	}
	return st
}

// covers reports whether the device's newest readings cover the engine
// time now (the open segment's cover is in device time).
func (d *device) covers(now int64) bool {
	return d.seg.status != "" && d.seg.cover+d.clk.skew > now
}
