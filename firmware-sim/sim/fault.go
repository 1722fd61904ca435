package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Fault is a kind of failure, wear or misbehaviour a scenario can inject.
type Fault string

const (
	FaultOutage      Fault = "outage"       // mains lost; Event.Generator: a generator takes over
	FaultCompressor  Fault = "compressor"   // compressor stops: state fault, compressor_fault
	FaultDryer       Fault = "dryer"        // dryer fault: dew point rises, sieve wears, dryer_fault
	FaultFilter      Fault = "filter"       // filter clogs over the event: pressure falls, temperature rises
	FaultSieve       Fault = "sieve"        // zeolite wet: purity declines over days, dew point rises
	FaultPurity      Fault = "purity"       // purity falls to Event.Value (default 78 %)
	FaultOverload    Fault = "overload"     // demand rises to Event.Value × rated flow (default 1.3)
	FaultSensorStuck Fault = "sensor_stuck" // purity sensor repeats one value
	FaultSensorNoisy Fault = "sensor_noisy" // purity sensor noise ×20
	FaultReboot      Fault = "reboot"       // controller restarts: seq resets, warm-up again
	FaultClockDrift  Fault = "clock_drift"  // clock falls behind by up to Event.Value seconds (default 240), then resyncs
	FaultCode        Fault = "fault_code"   // device reports alarm Event.Code (default E07), state fault
	FaultOffline     Fault = "offline"      // GSM link lost: readings kept and sent as a backlog later
	FaultMaintenance Fault = "maintenance"  // planned service: state maintenance
	FaultMalformed   Fault = "malformed"    // payloads the server must reject, on purpose
)

// Faults lists every fault kind.
var Faults = []Fault{
	FaultOutage, FaultCompressor, FaultDryer, FaultFilter, FaultSieve, FaultPurity,
	FaultOverload, FaultSensorStuck, FaultSensorNoisy, FaultReboot, FaultClockDrift,
	FaultCode, FaultOffline, FaultMaintenance, FaultMalformed,
}

// RandomFaults are the kinds drawn by random fault injection: every kind
// that still yields valid readings.
var RandomFaults = []Fault{
	FaultOutage, FaultCompressor, FaultDryer, FaultFilter, FaultSieve, FaultOverload,
	FaultSensorStuck, FaultSensorNoisy, FaultReboot, FaultClockDrift, FaultCode, FaultOffline,
}

// ParseFault returns the fault named s.
func ParseFault(s string) (Fault, error) {
	f := Fault(s)
	if slices.Contains(Faults, f) {
		return f, nil
	}
	names := make([]string, len(Faults))
	for i, f := range Faults {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown fault %q (want one of %s)", s, strings.Join(names, ", "))
}

// Event is one timed fault. Devices are chosen by Device (exact id or a
// path.Match pattern such as "conc-*"), Kind, Facility and Region; empty matches
// all. Skip passes over the first Skip matching devices (fleet order) and
// Pick > 0 keeps the next Pick. Site widens the choice to every device at
// the chosen devices' facilities (a site-wide outage).
type Event struct {
	At        time.Duration // after the simulation start
	For       time.Duration // 0: the fault's default duration
	Device    string
	Kind      string
	Facility  string
	Region    string
	Skip      int
	Pick      int
	Site      bool
	Fault     Fault
	Value     float64
	Code      string
	Generator bool
}

// defaultFor is how long a fault lasts when the event does not say.
func defaultFor(f Fault) time.Duration {
	switch f {
	case FaultReboot:
		return 45 * time.Second
	case FaultSieve:
		return 30 * 24 * time.Hour
	case FaultFilter:
		return 7 * 24 * time.Hour
	case FaultOutage, FaultOffline:
		return 30 * time.Minute
	}
	return time.Hour
}

// active is a fault in force on one device.
type active struct {
	Event
	from, until time.Time
}

// progress is how far through its span the fault is, 0 to 1.
func (a *active) progress(t time.Time) float64 {
	span := a.until.Sub(a.from)
	if span <= 0 {
		return 1
	}
	return clamp(float64(t.Sub(a.from))/float64(span), 0, 1)
}
