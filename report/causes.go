package report

import "strings"

// Words for the cause codes of down time, as the status timeline records
// them (alerting's vocabulary: state:…, power:…, alarm:…, offline). Report
// wording lives here, in one place, until message catalogues arrive.
var causeWords = map[string]string{
	"power:none":             "mains power lost",
	"power:battery":          "running on battery",
	"state:off":              "switched off",
	"state:fault":            "fault reported by the device",
	"state:maintenance":      "planned maintenance",
	"offline":                "stopped reporting while down",
	"purity:below_spec":      "purity below specification",
	"unknown":                "cause not recorded",
	"alarm:compressor_fault": "compressor fault",
	"alarm:dryer_fault":      "air dryer fault",
	"alarm:high_temp":        "overheating",
	"alarm:low_purity":       "low purity alarm",
	"alarm:low_pressure":     "low pressure alarm",
	"alarm:high_pressure":    "high pressure alarm",
	"alarm:sieve_fault":      "sieve bed fault",
	"alarm:power_fail":       "power failure alarm",
}

// CauseLabel is a cause code in words: "power:none" is "mains power lost".
// An alarm code without an entry reads as its words ("alarm:valve_stuck" is
// "valve stuck alarm"); another unknown code is returned as it is.
func CauseLabel(code string) string {
	if w, ok := causeWords[code]; ok {
		return w
	}
	if a, ok := strings.CutPrefix(code, "alarm:"); ok && a != "" {
		return strings.ReplaceAll(a, "_", " ") + " alarm"
	}
	if strings.HasPrefix(code, "silence:") {
		return "planned maintenance"
	}
	return code
}
