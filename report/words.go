package report

import (
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/oxywatch/oxywatch/internal/i18n"
)

// words writes an HTML report's text and figures in one language, through
// the message catalogue (internal/i18n): headings, columns, notes, causes,
// month names, and numbers and dates as its readers write them. English
// keeps the figures reports have always had (93.4 %, 4380.5, 2026-11-30);
// French writes 93,4 %, 4 380,5 and 30/11/2026 (with U+202F, the narrow
// no-break space, in the figures: a page is not an SMS, see
// i18n.Printer.Typeset; the CSV keeps plain spaces); Portuguese 93,4%,
// 4.380,5 and 30/11/2026.
type words struct{ p *i18n.Printer }

func wordsIn(l i18n.Lang) *words { return &words{i18n.New(l).Typeset()} }

func (w *words) english() bool { return w.p.Lang == i18n.English }

// T is the catalogue message key, formatted with args.
func (w *words) T(key string, args ...any) string { return w.p.T(key, args...) }

// listIn joins the items of a list as p's language writes it: "a; b", in
// French "a\u00a0; b" (report.list_sep).
func listIn(p *i18n.Printer, items []string) string {
	return strings.Join(items, p.T("report.list_sep"))
}

// fixed writes v with prec decimals, not grouped in English.
func (w *words) fixed(v float64, prec int) string {
	if w.english() {
		return strconv.FormatFloat(v, 'f', prec, 64)
	}
	return w.p.Num(v, prec)
}

func (w *words) pct(v *float64) string {
	if v == nil {
		return "–"
	}
	return w.pctOf(*v, 1)
}

func (w *words) pctOf(v float64, prec int) string {
	if w.english() {
		return w.fixed(v, prec) + " %"
	}
	return w.p.Pct(v, prec)
}

func (w *words) hours(v float64) string { return w.fixed(v, 1) }

// num writes a whole number without decimals, else one decimal.
func (w *words) num(v float64) string {
	if v == float64(int64(v)) {
		return w.fixed(v, 0)
	}
	return w.fixed(v, 1)
}

func (w *words) opt(v *float64) string {
	if v == nil {
		return "–"
	}
	return w.num(*v)
}

func (w *words) date(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return w.T("report.open")
	}
	if w.english() {
		return t.In(loc).Format(time.DateOnly)
	}
	return w.p.Date(t, loc)
}

func (w *words) time(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return w.T("report.open")
	}
	if w.english() {
		return t.In(loc).Format("2006-01-02 15:04")
	}
	return w.p.Date(t, loc) + " " + t.In(loc).Format("15:04")
}

// monthKeys name the months, January first.
var monthKeys = [12]string{"report.month.1", "report.month.2", "report.month.3", "report.month.4", "report.month.5", "report.month.6",
	"report.month.7", "report.month.8", "report.month.9", "report.month.10", "report.month.11", "report.month.12"}

// period names a period: "November 2026", "novembre 2026", "novembro de
// 2026" for a calendar month, else its first and last days.
func (w *words) period(p Period) string {
	loc := p.Loc
	if loc == nil {
		loc = time.UTC
	}
	if p.IsMonth() {
		from := p.From.In(loc)
		return w.T("report.month_year", w.T(monthKeys[from.Month()-1]), strconv.Itoa(from.Year()))
	}
	last := p.To.Add(-time.Nanosecond)
	return w.T("report.period_span", w.date(p.From, loc), w.date(last, loc))
}

// statusKeys name the statuses a report's bars and legend show.
var statusKeys = map[string]string{
	"operational": "report.status.operational", "degraded": "report.status.degraded", "down": "report.status.down",
	"maintenance": "report.status.maintenance", "no_data": "report.status.no_data",
}

func (w *words) status(class string) string {
	if k, ok := statusKeys[class]; ok {
		return w.T(k)
	}
	return class
}

// twoLines is a column heading written "rated|L/min" in the catalogue, as
// two lines.
func (w *words) twoLines(key string) template.HTML {
	parts := strings.Split(w.T(key), "|")
	for i, p := range parts {
		parts[i] = template.HTMLEscapeString(p)
	}
	return template.HTML(strings.Join(parts, "<br>"))
}

// funcs are the template functions, bound to w.
func (w *words) funcs() template.FuncMap {
	return template.FuncMap{
		"T":    w.T,
		"br":   w.twoLines,
		"pct":  w.pct,
		"pct0": func(v float64) string { return w.pctOf(v, 0) },
		"h":    w.hours,
		"n":    w.num,
		"opt":  w.opt,
		"n2":   func(v float64) string { return w.fixed(v, 2) },
		"opt2": func(v *float64) string {
			if v == nil {
				return "–"
			}
			return w.fixed(*v, 2)
		},
		"date": w.date,
		"time": w.time,
		"lastday": func(end time.Time, loc *time.Location) string {
			return w.date(end.Add(-time.Nanosecond), loc)
		},
		"period": w.period,
		"dash":   dash,
		"bar":    func(r UptimeRow) []barSegment { return statusBar(w, r) },
		"cause":  func(code string) string { return dash(causeIn(w.p, code)) },
		"comp":   func(code string) string { return dash(w.p.Component(code)) },
		"basis":  func(code string) string { return dash(basisIn(w.p, code)) },
		"due":    w.due,
	}
}

// basisKeys name how a demand or an autonomy figure was found.
var basisKeys = map[string]string{
	DemandFromFigure: "report.basis.demand_lpm", DemandFromCategories: "report.basis.bed_categories",
	DemandFromBeds: "report.basis.beds", AutonomyFromOutflow: "report.basis.storage_outflow",
	AutonomyFromDemand: "report.basis.demand", AutonomyMixed: "report.basis.mixed",
}

// basisIn is a basis code in words; an empty or unknown code is as it is.
func basisIn(p *i18n.Printer, code string) string {
	if k, ok := basisKeys[code]; ok {
		return p.T(k)
	}
	return code
}
