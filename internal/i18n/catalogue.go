package i18n

// Key names a catalogue message.
type Key string

// entry is one message: other alone, or a plural message choosing one or
// other by the count in argument arg (1-based).
type entry struct {
	one, other string
	arg        int
}

func s(text string) entry                 { return entry{other: text} }
func pl(arg int, one, other string) entry { return entry{one: one, other: other, arg: arg} }

// catalogue holds every message in every language: the texts of SMS,
// e-mail and reports (en.go, fr.go, pt.go) and the dashboard's, keyed
// "web." (web_en.go, web_fr.go, web_pt.go), and the HTML reports', keyed
// "report." (report_en.go, ...). The tests keep the three
// languages in step.
var catalogue = map[Lang]map[Key]entry{
	English:    merge(en, webEN, reportEN, reportCSVEN, csvEN, threshEN, woEN, dashEN, cliEN, cliConfigEN, apiEN, fieldEN, cliFlagEN, configDocEN, fleetEN),
	French:     merge(fr, webFR, reportFR, reportCSVFR, csvFR, threshFR, woFR, dashFR, cliFR, cliConfigFR, apiFR, fieldFR, cliFlagFR, configDocFR, fleetFR),
	Portuguese: merge(pt, webPT, reportPT, reportCSVPT, csvPT, threshPT, woPT, dashPT, cliPT, cliConfigPT, apiPT, fieldPT, cliFlagPT, configDocPT, fleetPT),
}

// merge returns one map of every entry of ms; a key twice is a mistake.
func merge(ms ...map[Key]entry) map[Key]entry {
	out := map[Key]entry{}
	for _, m := range ms {
		for k, e := range m {
			if _, dup := out[k]; dup {
				panic("i18n: key " + string(k) + " defined twice")
			}
			out[k] = e
		}
	}
	return out
}
