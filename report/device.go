package report

import (
	"cmp"
	"slices"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// status indexes, in plant.Statuses order.
const (
	iOperational = iota
	iDegraded
	iDown
	iMaintenance
	iNoData
	nStatus
)

func statusIndex(s plant.Status) int {
	switch s {
	case plant.StatusOperational:
		return iOperational
	case plant.StatusDegraded:
		return iDegraded
	case plant.StatusDown:
		return iDown
	case plant.StatusMaintenance:
		return iMaintenance
	}
	return iNoData
}

// Outage is one run of down time (see the package comment).
type Outage struct {
	Device   plant.DeviceID `json:"device"`
	Facility string         `json:"facility"`
	Region   string         `json:"region"`
	Start    time.Time      `json:"start"`             // true start, may precede the period
	End      time.Time      `json:"end,omitzero"`      // end of its last down interval; zero while open
	DownH    float64        `json:"down_h"`            // down hours inside the period
	Cause    string         `json:"cause"`             // cause of its first down interval
	Repaired time.Time      `json:"repaired,omitzero"` // next operational start, when known
}

// deviceStats is one device's account of a period.
type deviceStats struct {
	dev        plant.Device
	from, to   time.Time // the part of the period the device existed
	dur        [nStatus]time.Duration
	outages    int
	longest    time.Duration
	repairs    int
	repairTime time.Duration
	causes     map[string]time.Duration
	listed     int  // outages at least listMin long
	retired    bool // removed from the registry; counted until then
	// the last interval with data (any status but no_data): its status
	// index and end, for the functional census
	hasData    bool
	lastStatus int
	lastData   time.Time
	// outages at least listMin long (failures), to match with work orders
	failures []span
}

// span is a run of time; end is zero while it goes on.
type span struct{ start, end time.Time }

func (d *deviceStats) existence() time.Duration { return d.to.Sub(d.from) }

// accountant walks one device's sorted intervals.
type accountant struct {
	st       *deviceStats
	listMin  time.Duration
	sink     *outageList
	cursor   time.Time
	failedAt time.Time // first down start since last operational; zero when working
	cur      Outage    // outage in progress, when open
	open     bool
	curDur   time.Duration
}

// account computes the stats of dev over [from, to) from its intervals.
// ivs is sorted in place when it is not already in Start order.
// Outages at least listMin long go to sink.
func account(dev plant.Device, from, to time.Time, ivs []plant.StatusInterval, listMin time.Duration, sink *outageList) *deviceStats {
	st := &deviceStats{dev: dev, from: from, to: to}
	if !slices.IsSortedFunc(ivs, byStart) {
		slices.SortFunc(ivs, byStart)
	}
	a := accountant{st: st, listMin: listMin, sink: sink, cursor: from}
	for i := range ivs {
		a.interval(&ivs[i])
	}
	a.gap(to)
	a.closeOutage(time.Time{})
	return st
}

func byStart(a, b plant.StatusInterval) int { return a.Start.Compare(b.Start) }

func (a *accountant) interval(iv *plant.StatusInterval) {
	end := iv.End
	if end.IsZero() || end.After(a.st.to) {
		end = a.st.to
	}
	if !end.After(a.st.from) {
		a.before(iv)
		return
	}
	start := iv.Start
	if start.Before(a.cursor) {
		start = a.cursor
	}
	if !end.After(start) {
		return
	}
	a.gap(start)
	a.add(iv, start, end)
	a.cursor = end
}

// before keeps the repair clock right for intervals that end before the period.
func (a *accountant) before(iv *plant.StatusInterval) {
	switch iv.Status {
	case plant.StatusDown:
		if a.failedAt.IsZero() {
			a.failedAt = iv.Start
		}
	case plant.StatusOperational:
		a.failedAt = time.Time{}
	}
}

// gap counts time up to t that no interval covers as no_data.
func (a *accountant) gap(t time.Time) {
	if t.After(a.cursor) {
		a.st.dur[iNoData] += t.Sub(a.cursor)
		a.cursor = t
	}
}

func (a *accountant) add(iv *plant.StatusInterval, start, end time.Time) {
	d := end.Sub(start)
	i := statusIndex(iv.Status)
	a.st.dur[i] += d
	if i != iNoData {
		a.st.hasData, a.st.lastStatus, a.st.lastData = true, i, end
	}
	switch i {
	case iDown:
		a.down(iv, d)
	case iOperational:
		a.closeOutage(iv.Start)
		a.repaired(iv.Start)
	case iDegraded, iMaintenance:
		a.closeOutage(time.Time{})
	}
}

func (a *accountant) down(iv *plant.StatusInterval, d time.Duration) {
	if a.failedAt.IsZero() {
		a.failedAt = iv.Start
	}
	if !a.open {
		a.cur = Outage{Device: a.st.dev.ID, Facility: a.st.dev.Facility, Region: a.st.dev.Region, Start: iv.Start, Cause: iv.Cause}
		a.open, a.curDur = true, 0
	}
	a.curDur += d
	a.cur.End = iv.End
	if a.st.causes == nil {
		a.st.causes = make(map[string]time.Duration, 4)
	}
	a.st.causes[iv.Cause] += d
}

func (a *accountant) closeOutage(repaired time.Time) {
	if !a.open {
		return
	}
	a.st.outages++
	a.st.longest = max(a.st.longest, a.curDur)
	if a.curDur >= a.listMin {
		a.cur.DownH = hours(a.curDur)
		a.cur.Repaired = repaired
		a.st.listed++
		a.st.failures = append(a.st.failures, span{a.cur.Start, a.cur.End})
		a.sink.add(&a.cur)
	}
	a.open = false
}

func (a *accountant) repaired(at time.Time) {
	if a.failedAt.IsZero() {
		return
	}
	a.st.repairs++
	a.st.repairTime += at.Sub(a.failedAt)
	a.failedAt = time.Time{}
}

func hours(d time.Duration) float64 { return d.Hours() }

// sortOutages orders outages by start, then device.
func sortOutages(o []Outage) {
	slices.SortFunc(o, func(a, b Outage) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return cmp.Compare(a.Device, b.Device)
	})
}
