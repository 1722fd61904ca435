// Package i18n holds OxyWatch's message catalogue in English, French and
// Portuguese, and formats numbers, percentages and dates the way a reader of
// each language writes them ("93.4%", "93,4 %", "93,4%").
//
// Messages are golang.org/x/text/message catalogue entries keyed by a short
// dotted name ("sms.since"); plural messages use CLDR plural rules, so French
// says "1 alerte" and "0 alerte". Names of domain codes (rules, statuses,
// components, kinds, states, power sources, severities) are keys built from
// the code: "rule.offline", "kind.concentrator"; a code without a name is
// shown as it is.
//
// The catalogue has several parts, one file per language each, merged into one
// (catalogue.go): notify's SMS and e-mail texts and the domain names (en.go,
// fr.go, pt.go); the dashboard's texts, keyed "web." and served to the
// browser as they are by Web, with {name} placeholders the browser fills
// (web_*.go); the HTML reports' texts, keyed "report." (report_*.go);
// the CSV imports' messages (csv_msgs.go); the command line's words, keyed
// "cli." (cli_*.go), with the configuration's complaints keyed by their
// English format (cli_config.go), Go flag's errors and the environment's
// complaints (cliflag_*.go) and the configuration keys' descriptions, keyed
// "config.doc." (config_doc.go); the API's problem texts, keyed "api."
// (api_*.go); and field and row errors, keyed "field." with their stable
// code as the key's second part (field_*.go; FieldError, Fields and ErrCode
// in errors.go). Errors and messages that are said in the reader's language
// when printed are Error and Message (errors.go); FromEnv picks a
// terminal's language. Tests fail on a key missing in a
// language, on differing format verbs or placeholders, and on a key nothing
// uses (Go code, report templates, or the dashboard's files in api/web).
// ParseName reads a code back from a name in any language ("concentrateur"
// is concentrator).
package i18n

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// Lang is one of the languages OxyWatch speaks, as a BCP 47 base tag.
type Lang string

const (
	English    Lang = "en"
	French     Lang = "fr"
	Portuguese Lang = "pt"
)

// Langs lists every language, English (the fallback) first.
var Langs = []Lang{English, French, Portuguese}

var tags = map[Lang]language.Tag{English: language.English, French: language.French, Portuguese: language.Portuguese}

var matcher = language.NewMatcher([]language.Tag{language.English, language.French, language.Portuguese})

// Parse returns the language s names ("fr", "pt-BR", "fr-SN", "FR"); the
// empty string is "" (no choice: use the deployment default).
func Parse(s string) (Lang, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	t, err := language.Parse(s)
	if err != nil {
		return "", fmt.Errorf("language %q: %w", s, err)
	}
	base, _ := t.Base()
	for _, l := range Langs {
		if base.String() == string(l) {
			return l, nil
		}
	}
	return "", fmt.Errorf("language %q: not one of en, fr, pt", s)
}

// Match picks the best of our languages for an Accept-Language header or a
// list of preferences; English when nothing fits.
func Match(prefs ...string) Lang {
	var want []language.Tag
	for _, p := range prefs {
		ts, _, err := language.ParseAcceptLanguage(p)
		if err == nil {
			want = append(want, ts...)
		}
	}
	_, i, conf := matcher.Match(want...)
	if conf == language.No {
		return English
	}
	return Langs[i]
}

// MatchOr is Match with def when none of prefs is one of our languages
// (an Accept-Language of "sw, de", or none at all).
func MatchOr(def Lang, prefs ...string) Lang {
	var want []language.Tag
	for _, p := range prefs {
		if ts, _, err := language.ParseAcceptLanguage(p); err == nil {
			want = append(want, ts...)
		}
	}
	if len(want) == 0 {
		return def.Or(English)
	}
	_, i, conf := matcher.Match(want...)
	if conf == language.No {
		return def.Or(English)
	}
	return Langs[i]
}

// Or returns l, or def when l is empty.
func (l Lang) Or(def Lang) Lang {
	if l == "" {
		return def
	}
	return l
}

var cat = build()

func build() *catalog.Builder {
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	for l, msgs := range catalogue {
		for k, m := range msgs {
			if strings.HasPrefix(string(k), webPrefix) {
				continue // served as they are, never formatted here
			}
			var err error
			if m.one != "" {
				err = b.Set(tags[l], string(k), plural.Selectf(m.arg, "%d", plural.One, m.one, plural.Other, m.other))
			} else {
				err = b.SetString(tags[l], string(k), m.other)
			}
			if err != nil {
				panic(fmt.Sprintf("i18n: %s %s: %v", l, k, err))
			}
		}
	}
	return b
}

// Printer writes messages in one language. The zero value is not usable;
// call New.
type Printer struct {
	Lang    Lang
	p       *message.Printer
	typeset bool // Num and Pct set U+202F where French wants it (Typeset)
}

// New returns a printer for l; an unknown or empty l prints English.
func New(l Lang) *Printer {
	if _, ok := tags[l]; !ok {
		l = English
	}
	return &Printer{Lang: l, p: message.NewPrinter(tags[l], message.Catalog(cat))}
}

// T formats the message with key in the printer's language; numbers among
// args are written in its convention. A key missing from the catalogue
// prints as itself, so a mistake shows rather than vanishes.
func (p *Printer) T(key string, args ...any) string {
	return p.p.Sprintf(key, args...)
}

// name returns the catalogue name of code in family, or the code itself.
func (p *Printer) name(family, code string) string {
	if code == "" {
		return ""
	}
	if _, ok := catalogue[p.Lang][Key(family+"."+code)]; !ok {
		if _, ok := catalogue[English][Key(family+"."+code)]; !ok {
			return code
		}
	}
	return p.T(family + "." + code)
}

// Rule names an alert rule ("critical_purity" → "pureté critique").
func (p *Printer) Rule(code string) string { return p.name("rule", code) }

// Status names a device status (operational, degraded, down, ...).
func (p *Printer) Status(code string) string { return p.name("status", code) }

// Kind names a kind of equipment (psa, concentrator, lox_tank, ...).
func (p *Printer) Kind(code string) string { return p.name("kind", code) }

// KindShort is the kind as an SMS writes it, in capitals ("CONCENTRATEUR").
func (p *Printer) KindShort(code string) string { return p.name("kind.short", code) }

// Component names a maintained component (inlet_filter, sieve_beds, ...).
func (p *Printer) Component(code string) string { return p.name("component", code) }

// State names an operating state a device reports (running, off, ...).
func (p *Printer) State(code string) string { return p.name("state", code) }

// Power names a power source (mains, battery, none, ...).
func (p *Printer) Power(code string) string { return p.name("power", code) }

// Severity names an alert severity (critical, warning, info).
func (p *Printer) Severity(code string) string { return p.name("severity", code) }

// AlertState names an alert's state (firing, acknowledged, resolved).
func (p *Printer) AlertState(code string) string { return p.name("alert_state", code) }

// Typeset returns a printer like p whose Num and Pct write French numbers
// as French typography wants them on a page (the dashboard, an HTML
// report): U+202F, the narrow no-break space, between the thousands and
// before "%" ("4\u202f380", "93,4\u202f%"). Other languages are as p
// writes them. Texts that must stay plain (SMS, CSV) use p.
func (p *Printer) Typeset() *Printer {
	q := *p
	q.typeset = true
	return &q
}

// Num writes v with prec decimals in the reader's convention, grouping
// thousands: 4,380.5 in English, 4 380,5 in French, 4.380,5 in Portuguese.
// Grouping uses a plain space in French (not U+00A0) so that text stays
// inside GSM-7; a Typeset printer uses U+202F.
func (p *Printer) Num(v float64, prec int) string {
	s := p.p.Sprintf("%.*f", prec, v)
	return p.space().Replace(s)
}

// Pct writes a percentage: "93.4%", "93,4 %", "93,4%"; a Typeset printer
// writes "93,4\u202f%" in French.
func (p *Printer) Pct(v float64, prec int) string {
	if p.Lang == French {
		return p.space().Replace(p.Num(v, prec) + " %")
	}
	return p.Num(v, prec) + "%"
}

var (
	plainSpace  = strings.NewReplacer("\u00a0", " ", "\u202f", " ")
	narrowSpace = strings.NewReplacer("\u00a0", "\u202f", " ", "\u202f")
)

// space turns the spaces of a number (and the one before "%") into those
// p writes: plain, or narrow no-break for a Typeset printer.
func (p *Printer) space() *strings.Replacer {
	if p.typeset {
		return narrowSpace
	}
	return plainSpace
}

// Clock writes the time of day in loc, 24-hour in every language: "02:14".
func (p *Printer) Clock(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("15:04")
}

// Date writes the day in loc: "10 Mar 2026", "10/03/2026", "10/03/2026".
func (p *Printer) Date(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	if p.Lang == English {
		return t.Format("2 Jan 2006")
	}
	return t.Format("02/01/2006")
}

// DateTime writes day and time in loc with the zone: "10 Mar 2026 02:14 EAT".
func (p *Printer) DateTime(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return p.Date(t, loc) + " " + t.Format("15:04 MST")
}

// Hours writes a count of hours rounded to whole hours: "4,380 h".
func (p *Printer) Hours(h float64) string { return p.Num(h, 0) + " h" }

// Code writes an identifier digit for digit, never grouped ("4821").
func Code(n int64) string { return strconv.FormatInt(n, 10) }

// webPrefix starts the keys of the dashboard's texts.
const webPrefix = "web."

// webFamilies are the families of domain names the dashboard shows from the
// shared catalogue, under the same ids ("component.inlet_filter").
var webFamilies = []string{"component."}

// Web returns the dashboard's texts in l, keyed by the ids the dashboard
// asks for ("nav.fleet", "rule.device_fault.name"): every "web." key
// without its prefix, English where l lacks one, and the names of
// components from the shared catalogue. The browser fills {name}
// placeholders itself.
func Web(l Lang) map[string]string {
	if _, ok := catalogue[l]; !ok {
		l = English
	}
	out := map[string]string{}
	for _, from := range []Lang{English, l} {
		for k, m := range catalogue[from] {
			if id, ok := strings.CutPrefix(string(k), webPrefix); ok {
				out[id] = m.other
				continue
			}
			for _, f := range webFamilies {
				if strings.HasPrefix(string(k), f) {
					out[string(k)] = m.other
				}
			}
		}
	}
	return out
}

// InputError is the reader's words for why a device's input was rejected,
// by its reason code (an ingest rejection reason, a device's
// last_error_code): the dashboard's text input_error.CODE in l (English
// where l lacks it), which holds no {name} placeholder. ok is false for a
// code without a text.
func InputError(l Lang, code string) (text string, ok bool) {
	k := Key(webPrefix + "input_error." + code)
	if m, ok := catalogue[l][k]; ok {
		return m.other, true
	}
	m, ok := catalogue[English][k]
	return m.other, ok
}

// Locale is the BCP 47 tag the browser's Intl formats numbers and dates
// with for l: "en-GB" (day before month, 24-hour clock), "fr-FR", "pt-PT".
func Locale(l Lang) string {
	switch l {
	case French:
		return "fr-FR"
	case Portuguese:
		return "pt-PT"
	}
	return "en-GB"
}

// Keys lists the catalogue's keys that start with prefix, sorted; tests use
// it to check that a page holds no English left in another language.
func Keys(prefix string) []string {
	var ks []string
	for k := range catalogue[English] {
		if strings.HasPrefix(string(k), prefix) {
			ks = append(ks, string(k))
		}
	}
	slices.Sort(ks)
	return ks
}
