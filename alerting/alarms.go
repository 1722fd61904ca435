package alerting

import "github.com/oxywatch/oxywatch/internal/plant"

// alarmCode says what a device-side alarm code means to the rules. A code
// whose rule is set is folded into that rule, which judges the same
// condition from the values (a unit's own low_purity alarm next to the
// purity alert was a second alert for one problem); other codes raise
// device_fault at their severity. Unknown codes are critical.
type alarmCode struct {
	rule   string         // the rule that covers it; "" device_fault
	sev    plant.Severity // device_fault's severity for it
	ignore bool           // the rules file says it means nothing
}

var alarmCodes = map[string]alarmCode{
	"low_purity":  {rule: RuleLowPurity},
	"high_temp":   {sev: plant.SeverityWarning},
	"dryer_fault": {sev: plant.SeverityWarning},
}

// deviceFault reports whether the reading shows a device fault (state
// fault, or an alarm code not folded into another rule) and sets the
// severity device_fault takes: critical for state fault or an unknown code,
// else the highest of its codes'.
func (e *Engine) deviceFault(d *device, r *plant.Reading) bool {
	d.faultSev = ""
	fault := d.state == plant.StateFault
	if fault {
		d.faultSev = d.rs.r[slotDeviceFault].sev
	}
	if code, sev := alarmFault(d.rs, r.Alarms); code != "" {
		fault = true
		if severityRank(sev) > severityRank(d.faultSev) {
			d.faultSev = sev
		}
	}
	return fault
}

// alarmFault returns the first of the alarm codes that device_fault takes
// and the highest severity among them ("" when it takes none). Unknown codes
// take the rule's severity.
func alarmFault(rs *ruleSet, alarms []string) (code string, sev plant.Severity) {
	for _, a := range alarms {
		c, known := rs.alarms[a]
		switch {
		case known && (c.rule != "" || c.ignore):
			continue
		case !known:
			c.sev = rs.r[slotDeviceFault].sev
		}
		if code == "" {
			code = a
		}
		if severityRank(c.sev) > severityRank(sev) {
			sev = c.sev
		}
	}
	return code, sev
}
