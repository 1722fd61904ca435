package notify

import (
	"math"
	"strings"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// defaultLanguage is the language of messages to a contact who chose none,
// and of webhook text: config notify.language, else English.
func (s *Service) defaultLanguage() i18n.Lang {
	l, _ := i18n.Parse(s.cfg.Language)
	return l.Or(i18n.English)
}

// printerFor returns the printer for the recipient of ps: the contact's
// language as stored when the group was read, else the deployment default.
func (s *Service) printerFor(ps []pending) *i18n.Printer {
	def := s.defaultLanguage()
	if len(ps) == 0 {
		return i18n.New(def)
	}
	return i18n.New(ps[0].lang.Or(def))
}

// whatIn says what is wrong in the reader's language. English keeps the
// engine's summary, which says more; other languages are written from the
// rule and its value, since the summary is English.
func whatIn(tr *i18n.Printer, a plant.Alert) string {
	if tr.Lang == i18n.English {
		return what(a)
	}
	v := 0.0
	if a.Value != nil {
		v = *a.Value
	}
	switch a.Rule {
	case "critical_purity", "low_purity":
		return tr.T("what.critical_purity", tr.Pct(v, 1))
	case "sensor_stuck":
		return tr.T("what.sensor_stuck", tr.Pct(v, 1))
	case "low_pressure":
		return tr.T("what.low_pressure", tr.Num(v, 2))
	case "high_pressure":
		return tr.T("what.high_pressure", tr.Num(v, 2))
	case "no_flow":
		return tr.T("what.no_flow", tr.Num(v, 2))
	case "overload":
		return tr.T("what.overload", tr.Num(v, 1))
	case "purity_declining":
		return tr.T("what.purity_declining", tr.Num(math.Abs(v), 2))
	case "clock_skew":
		return tr.T("what.clock_skew", tr.Num(math.Abs(v), 0))
	case "maintenance_due":
		return tr.T("what.maintenance_due", tr.Component(component(a.Summary)), tr.Hours(v))
	case "offline":
		return tr.T("what.offline")
	case "device_fault":
		return tr.T("what.device_fault")
	case "power_loss":
		return tr.T("what.power_loss")
	case "facility_outage":
		return tr.T("what.facility_outage")
	}
	if a.Value != nil {
		return tr.Rule(a.Rule) + " " + tr.Num(v, 1)
	}
	return tr.Rule(a.Rule)
}

// component reads the component code a maintenance summary starts with
// ("air_compressor: 4100 running hours ...", "service history missing: ...").
func component(summary string) string {
	head, _, ok := strings.Cut(summary, ":")
	switch {
	case !ok:
		return ""
	case head == "service history missing":
		return "service_history"
	case strings.ContainsAny(head, " \t"):
		return ""
	}
	return head
}

// deviceIn is the kind and device as an SMS and e-mail write them.
func deviceIn(tr *i18n.Printer, e event) string {
	parts := []string{}
	if e.Kind != "" && e.Kind != plant.KindUnknown {
		parts = append(parts, tr.KindShort(string(e.Kind)))
	}
	if e.Alert.Device != "" {
		parts = append(parts, string(e.Alert.Device))
	}
	return strings.Join(parts, " ")
}

// smsSafe replaces the spaces number formatting and French punctuation use
// (U+00A0, U+202F: "alertes\u00a0:") and typographic quotes with plain ones
// before GSM-7 transliteration, so a French SMS stays GSM-7.
var smsSafe = strings.NewReplacer("\u202f", " ", "\u00a0", " ", "’", "'")
