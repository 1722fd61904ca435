package report

import (
	"strings"

	"github.com/oxywatch/oxywatch/internal/i18n"
)

// causeKeys are the catalogue keys (internal/i18n, report_*.go) naming the
// cause codes of down time, as the status timeline records them
// (alerting's vocabulary: state:…, power:…, alarm:…, offline).
var causeKeys = map[string]string{
	"power:none":             "report.cause.power_none",
	"power:battery":          "report.cause.power_battery",
	"state:off":              "report.cause.state_off",
	"state:fault":            "report.cause.state_fault",
	"state:maintenance":      "report.cause.state_maintenance",
	"state:unknown":          "report.cause.state_unknown",
	"offline":                "report.cause.offline",
	"purity:below_spec":      "report.cause.purity_below_spec",
	"unknown":                "report.cause.unknown",
	"alarm:compressor_fault": "report.cause.alarm_compressor_fault",
	"alarm:dryer_fault":      "report.cause.alarm_dryer_fault",
	"alarm:high_temp":        "report.cause.alarm_high_temp",
	"alarm:low_purity":       "report.cause.alarm_low_purity",
	"alarm:low_pressure":     "report.cause.alarm_low_pressure",
	"alarm:high_pressure":    "report.cause.alarm_high_pressure",
	"alarm:sieve_fault":      "report.cause.alarm_sieve_fault",
	"alarm:power_fail":       "report.cause.alarm_power_fail",
}

// CauseLabel is a cause code in English words: "power:none" is "mains
// power lost" (JSON and CSV labels; HTML reports use the reader's language).
func CauseLabel(code string) string { return causeIn(i18n.New(i18n.English), code) }

// causeIn is a cause code in the words of p. An alarm code without a name
// reads as its words ("alarm:valve_stuck" is "valve stuck alarm"); another
// unknown code is returned as it is.
func causeIn(p *i18n.Printer, code string) string {
	if k, ok := causeKeys[code]; ok {
		return p.T(k)
	}
	if a, ok := strings.CutPrefix(code, "alarm:"); ok && a != "" {
		return p.T("report.cause.alarm_other", strings.ReplaceAll(a, "_", " "))
	}
	if strings.HasPrefix(code, "silence:") {
		return p.T("report.cause.state_maintenance")
	}
	return code
}
