package score

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/oxywatch/oxywatch/alerting"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// KindStats are the figures of one fault kind.
type KindStats struct {
	Kind     string
	Injected int // faults injected
	Expected int // of them, faults that should have alerted
	OnTime   int // alerted by their deadline
	Late     int // alerted after it
	// Latencies of the alerts, from the first reading that showed the fault.
	Latencies []time.Duration
	// Of the detected faults that ended during the run: resolved alerts and
	// how long after the fault's end; still open at the end.
	Resolved   []time.Duration
	Unresolved int
	Noise      int // alerts during this kind of fault that match no fault
	NoiseCrit  int
	// WrongSeverity counts detected faults whose most severe matching
	// alert is not the severity their expectation names (a purity fault
	// below the device's critical level must page critical, one above it
	// only warn).
	WrongSeverity int
}

// Missed is Expected less OnTime and Late.
func (k *KindStats) Missed() int { return k.Expected - k.OnTime - k.Late }

// Noise is an alert that matches no fault, and what it happened during.
type Noise struct {
	Alert plant.Alert
	Cause string
}

// Result is the score of one suite, or of several merged.
type Result struct {
	Suite    string
	Devices  int
	Duration time.Duration
	Kinds    map[string]*KindStats
	Alerts   int // non-maintenance alerts
	Matched  int // of them, alerts that match a fault
	Demand   int // of them, overload or purity alerts of a plant running above 110 % of rated flow without a fault
	Maint    int // maintenance_due alerts
	MaintDev int // devices with at least one
	Noise    []Noise
	Misses   []string // faults that should have alerted and did not (or late)
	// Severities lists the detected faults raised at the wrong severity.
	Severities []string
}

func (r *Result) kind(k string) *KindStats {
	if r.Kinds == nil {
		r.Kinds = map[string]*KindStats{}
	}
	if r.Kinds[k] == nil {
		r.Kinds[k] = &KindStats{Kind: k}
	}
	return r.Kinds[k]
}

// match pairs faults and alerts.
func (r *Result) match(faults []*fault, alerts []plant.Alert, end time.Time, overDemand func(plant.DeviceID, time.Time) bool) {
	used := make([]bool, len(alerts))
	for _, f := range faults {
		ks := r.kind(f.kind())
		ks.Injected++
		var first *plant.Alert
		worst := plant.Severity("")
		for i := range alerts {
			if a := &alerts[i]; f.matches(a) {
				used[i] = true
				if first == nil || a.StartedAt.Before(first.StartedAt) {
					first = a
				}
				if sevRank(a.Severity) > sevRank(worst) {
					worst = a.Severity
				}
			}
		}
		r.judge(ks, f, first, end)
		r.judgeSeverity(ks, f, first, worst)
	}
	maintDevs := map[plant.DeviceID]bool{}
	for i := range alerts {
		a := &alerts[i]
		if a.Rule == alerting.RuleMaintenanceDue {
			r.Maint++
			maintDevs[a.Device] = true
			continue
		}
		r.Alerts++
		if used[i] {
			r.Matched++
			continue
		}
		if demandRule(a.Rule) && overDemand(a.Device, a.StartedAt) {
			r.Demand++
			continue
		}
		c := cause(faults, a)
		r.Noise = append(r.Noise, Noise{Alert: *a, Cause: c})
		ks := r.kind(c)
		ks.Noise++
		if a.Severity == plant.SeverityCritical {
			ks.NoiseCrit++
		}
	}
	r.MaintDev = len(maintDevs)
}

func (r *Result) judge(ks *KindStats, f *fault, first *plant.Alert, end time.Time) {
	want, deadline := f.expected()
	if !want {
		return
	}
	ks.Expected++
	switch {
	case first == nil:
		r.Misses = append(r.Misses, f.String()+": no alert")
		return
	case first.StartedAt.After(deadline):
		ks.Late++
		r.Misses = append(r.Misses, fmt.Sprintf("%s: %s late, after %s", f, first.Rule, first.StartedAt.Sub(f.onset)))
	default:
		ks.OnTime++
	}
	ks.Latencies = append(ks.Latencies, max(0, first.StartedAt.Sub(f.onset)))
	if f.Until.After(end) {
		return
	}
	if first.ResolvedAt.IsZero() {
		ks.Unresolved++
	} else {
		ks.Resolved = append(ks.Resolved, first.ResolvedAt.Sub(f.Until))
	}
}

// judgeSeverity checks the most severe alert that detected f against the
// severity its expectation names, if it names one.
func (r *Result) judgeSeverity(ks *KindStats, f *fault, first *plant.Alert, worst plant.Severity) {
	if first == nil || f.exp.sev == "" || worst == f.exp.sev {
		return
	}
	if f.exp.sev == plant.SeverityWarning && f.low < f.exp.crit {
		return // the plant itself ran below the critical level: critical is fair too
	}
	if want, _ := f.expected(); !want {
		return
	}
	ks.WrongSeverity++
	r.Severities = append(r.Severities, fmt.Sprintf("%s (%s): raised %s, want %s", f, f.use, worst, f.exp.sev))
}

func sevRank(s plant.Severity) int {
	switch s {
	case plant.SeverityCritical:
		return 3
	case plant.SeverityWarning:
		return 2
	case plant.SeverityInfo:
		return 1
	}
	return 0
}

func demandRule(rule string) bool {
	return rule == alerting.RuleOverload || rule == alerting.RuleLowPurity || rule == alerting.RuleCriticalPurity
}

// Merge adds up results.
func Merge(name string, rs ...*Result) *Result {
	out := &Result{Suite: name}
	for _, r := range rs {
		out.Devices += r.Devices
		out.Duration += r.Duration
		out.Alerts += r.Alerts
		out.Matched += r.Matched
		out.Demand += r.Demand
		out.Maint += r.Maint
		out.MaintDev += r.MaintDev
		out.Noise = append(out.Noise, r.Noise...)
		for _, m := range r.Misses {
			out.Misses = append(out.Misses, r.Suite+": "+m)
		}
		for _, m := range r.Severities {
			out.Severities = append(out.Severities, r.Suite+": "+m)
		}
		for _, k := range r.Kinds {
			o := out.kind(k.Kind)
			o.Injected += k.Injected
			o.Expected += k.Expected
			o.OnTime += k.OnTime
			o.Late += k.Late
			o.Latencies = append(o.Latencies, k.Latencies...)
			o.Resolved = append(o.Resolved, k.Resolved...)
			o.Unresolved += k.Unresolved
			o.Noise += k.Noise
			o.NoiseCrit += k.NoiseCrit
			o.WrongSeverity += k.WrongSeverity
		}
	}
	return out
}

// Recall is the share of faults that should alert that alerted on time.
func (r *Result) Recall() float64 {
	exp, on := 0, 0
	for _, k := range r.Kinds {
		exp += k.Expected
		on += k.OnTime
	}
	return ratio(on, exp)
}

// Precision is the share of non-maintenance alerts that match a fault or
// the plant's demand above its capacity.
func (r *Result) Precision() float64 { return ratio(r.Matched+r.Demand, r.Alerts) }

// QuietCritical counts critical alerts raised by warm-up, a generator
// switchover, a reboot or maintenance.
func (r *Result) QuietCritical() int {
	n := 0
	for _, c := range quietCauses {
		if k := r.Kinds[c]; k != nil {
			n += k.NoiseCrit
		}
	}
	return n
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// Write prints the table: one row per fault kind (and per cause of noise),
// then the totals, the misses and the noise.
func (r *Result) Write(w io.Writer, verbose bool) {
	fmt.Fprintf(w, "%s: %d devices, %s simulated\n", r.Suite, r.Devices, r.Duration)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tinjected\tshould alert\ton time\tlate\tmissed\twrong severity\tlatency p50\tmax\tresolved p50 after end\topen at end\tnoise\tnoise critical\t")
	for _, name := range slices.Sorted(maps.Keys(r.Kinds)) {
		k := r.Kinds[name]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%d\t%d\t%d\t\n", k.Kind, k.Injected, k.Expected, k.OnTime,
			k.Late, k.Missed(), k.WrongSeverity, quantile(k.Latencies, 0.5), quantile(k.Latencies, 1), quantile(k.Resolved, 0.5),
			k.Unresolved, k.Noise, k.NoiseCrit)
	}
	tw.Flush()
	fmt.Fprintf(w, "recall %.1f %% on time; precision %.1f %% (of %d non-maintenance alerts, %d match a fault and %d a plant above 110 %% of rated flow); "+
		"critical alerts from warm-up, switchover, reboot or maintenance: %d; maintenance_due alerts: %d on %d devices\n",
		100*r.Recall(), 100*r.Precision(), r.Alerts, r.Matched, r.Demand, r.QuietCritical(), r.Maint, r.MaintDev)
	if !verbose {
		return
	}
	for _, m := range r.Misses {
		fmt.Fprintf(w, "  missed: %s\n", m)
	}
	for _, m := range r.Severities {
		fmt.Fprintf(w, "  wrong severity: %s\n", m)
	}
	noise := slices.Clone(r.Noise)
	slices.SortFunc(noise, func(a, b Noise) int {
		return cmp.Or(strings.Compare(a.Cause, b.Cause), a.Alert.StartedAt.Compare(b.Alert.StartedAt))
	})
	for _, n := range noise {
		a := n.Alert
		fmt.Fprintf(w, "  noise (%s): +%s %s %s %s %s: %s\n", n.Cause, a.StartedAt.Sub(Start).Round(time.Second),
			a.Severity, a.Rule, cmp.Or(string(a.Device), a.Facility), a.State, a.Summary)
	}
}

func quantile(ds []time.Duration, q float64) string {
	if len(ds) == 0 {
		return "-"
	}
	s := slices.Sorted(slices.Values(ds))
	d := s[int(q*float64(len(s)-1)+0.5)]
	return d.Round(time.Second).String()
}
