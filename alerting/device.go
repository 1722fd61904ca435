package alerting

import (
	"math"
	"slices"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// devInfo is what the engine keeps of a device's registry entry.
type devInfo struct {
	kind                    plant.Kind
	model, facility, region string
	country                 string
	rated                   float64
	interval                int64     // report interval, ns
	use                     plant.Use // chooses its threshold sets, with point
	point                   plant.Point
}

// values are the newest known values; NaN is unknown.
type values struct{ purity, pressure, flow, runtime float64 }

func (v *values) clear() { *v = values{math.NaN(), math.NaN(), math.NaN(), math.NaN()} }

// ruleState is one rule's state on one device.
type ruleState struct {
	pendingSince int64 // engine time the condition began; 0 when not pending
	pendingTs    int64 // device time of the reading that began it
	clearSince   int64 // flapping hold: when the condition cleared
	flipWin      int64 // start of the flapping count window
	alert        *openAlert
	pendingN     uint16 // bad readings in a row
	flips        uint8
	cond         bool // the condition held at the last evaluation
}

// maintState is one component's maintenance clock.
type maintState struct {
	name  string
	base  float64 // runtime_h at the last service record
	done  int64   // when that service was done, unix ns
	alert *openAlert
}

// device is everything the engine keeps per device (about 1 KiB).
type device struct {
	id      plant.DeviceID
	info    devInfo
	rs      *ruleSet
	infoAt  int64
	due     int64
	heapIdx int32

	lastHeard int64 // engine time of the last live reading
	lastTs    int64 // time of the newest reading
	state     plant.State
	power     plant.Power
	alarm     string         // first alarm code of the newest reading that device_fault takes
	faultSev  plant.Severity // device_fault's severity from the newest reading; "" the rule's
	curTs     int64          // device time of the reading being evaluated
	values    values

	clk clockModel // what the engine learnt of the device's clock

	runStart int64    // engine time the device last started running (warm-up)
	warm     warmSpan // the latest warm-up in reading time (the timeline's)
	lastSeq  int64    // seq of the newest live reading; -1 when unknown
	stuckVal float64  // sensor_stuck: the purity repeated, and how often
	stuckN   uint16

	statusOffline bool   // the status topic said offline
	saidOffline   int64  // engine time it said so
	offline       bool   // past the offline deadline, or statusOffline
	outage        outage // offline or without power: counts for the facility
	dirty         bool   // changed since the last checkpoint

	rules   [nSlots]ruleState
	maint   []maintState
	history *openAlert // "service history missing", while no component has a record
	trend   *trend
	seg     segment

	coverSaved int64 // seg.cover as last written to the open timeline row
}

// merge takes a live reading's state and values as the newest known.
func (d *device) merge(r *plant.Reading) {
	if r.State != "" {
		d.state = r.State
	}
	if r.Power != "" {
		d.power = r.Power
	}
	d.alarm = ""
	for _, a := range r.Alarms {
		if c := d.rs.alarms[a]; c.rule == "" && !c.ignore {
			d.alarm = a
			break
		}
	}
	set := func(dst *float64, p *float64) {
		if p != nil {
			*dst = *p
		}
	}
	set(&d.values.purity, r.Purity)
	set(&d.values.pressure, r.Pressure)
	set(&d.values.flow, r.Flow)
	set(&d.values.runtime, r.Runtime)
}

// running reports whether the device produces: state running, or no state
// ever reported (equipment without a state output is taken as running).
func (d *device) running() bool { return d.state == plant.StateRunning || d.state == "" }

// deadline is the engine time at which the device counts as offline.
// After an "offline" status message it is two report intervals after that
// (a controller that restarts publishes its will, then comes back within
// about a report interval).
func (d *device) deadline() int64 {
	t := d.lastHeard + d.scaled(int64(d.rs.intervals*float64(d.info.interval)))
	if d.statusOffline {
		t = min(t, d.saidOffline+d.scaled(2*d.info.interval))
	}
	return t
}

// alignMaintenance keeps one clock per configured component, carrying the
// clocks of components that stay.
func (d *device) alignMaintenance() {
	comps := d.rs.comps
	if len(d.maint) == len(comps) && slices.EqualFunc(d.maint, comps, func(m maintState, c component) bool { return m.name == c.name }) {
		return
	}
	out := make([]maintState, len(comps))
	for i, c := range comps {
		out[i].name = c.name
		if j := slices.IndexFunc(d.maint, func(m maintState) bool { return m.name == c.name }); j >= 0 {
			out[i] = d.maint[j]
		}
	}
	d.maint = out
}

func (d *device) maintIndex(name string) int {
	return slices.IndexFunc(d.maint, func(m maintState) bool { return m.name == name })
}

// hasOpen reports whether the slot's alert is open (firing or acknowledged).
func (d *device) hasOpen(s slot) bool { return d.rules[s].alert != nil }

func (d *device) maintNames() []string {
	names := make([]string, len(d.maint))
	for i, m := range d.maint {
		names[i] = m.name
	}
	return names
}
