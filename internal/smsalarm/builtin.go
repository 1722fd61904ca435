package smsalarm

// Builtin returns the patterns for the wordings alarm modules of PSA plants
// and concentrators commonly send, tried for every model after its own
// (unless the patterns file says builtin: false). They match anywhere in
// the text, in any case, so a site prefix ("PSA1 ALARM ...") does not
// matter. Decimal commas are read ("85,5%").
func Builtin() []Pattern {
	num := `[0-9]{1,3}(?:[.,][0-9]+)?` // 85, 93.5, 85,5
	return []Pattern{
		{Name: "low_purity", Match: `(?i)\bLOW\s+(?:O2\s+)?PURITY\b[^0-9%]{0,12}(?P<purity_pct>` + num + `)`, Alarms: []string{"low_purity"}},
		{Name: "purity", Match: `(?i)\b(?:O2|PURITY|OXYGEN)\b[^0-9%]{0,12}(?P<purity_pct>` + num + `)\s*%`},
		{Name: "pressure", Match: `(?i)\bPRESSURE\b[^0-9]{0,12}(?P<pressure_bar>` + num + `)\s*BAR\b`},
		{Name: "compressor_fault", Match: `(?i)\bCOMPRESSOR\s+(?:FAULT|FAIL(?:URE|ED)?|TRIP(?:PED)?|ALARM)\b`, Alarms: []string{"compressor_fault"}},
		{Name: "dryer_fault", Match: `(?i)\bDRYER\s+(?:FAULT|FAIL(?:URE|ED)?|ALARM)\b`, Alarms: []string{"dryer_fault"}},
		{Name: "high_temp", Match: `(?i)\bHIGH\s+TEMP(?:ERATURE)?\b(?:[^0-9-]{0,12}(?P<temp_c>-?[0-9]{1,3}(?:[.,][0-9]+)?))?`, Alarms: []string{"high_temp"}},
		{Name: "power_fail", Match: `(?i)\b(?:POWER|MAINS|AC)\s+(?:FAIL(?:URE|ED)?|LOSS|LOST|OFF|DOWN|OUTAGE)\b`, Power: "none"},
		{Name: "on_battery", Match: `(?i)\bON\s+BATTERY\b`, Power: "battery"},
		{Name: "on_generator", Match: `(?i)\bON\s+GENERATOR\b`, Power: "generator"},
		{Name: "power_restored", Match: `(?i)\b(?:POWER|MAINS|AC)\s+(?:RESTORED|BACK|OK|ON)\b`, Power: "mains"},
		{Name: "shutdown", Match: `(?i)\b(?:SHUT\s*DOWN|STOPPED|PLANT\s+OFF)\b`, State: "off"},
		{Name: "clear", Match: `(?i)\b(?:ALARMS?\s+CLEAR(?:ED)?|ALL\s+CLEAR|NORMAL|SYSTEM\s+OK|RESET)\b`, Clear: true},
	}
}
