package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// WorkOrderSource is optionally implemented by a Registry that keeps work
// orders (*store.Registry does): the repair tickets engineers open for a
// failure and close with its cause (issue 17). Without it, reports have no
// repairs section and no work-order indicators.
type WorkOrderSource interface {
	WorkOrders(ctx context.Context, f plant.WorkOrderFilter) ([]plant.WorkOrder, error)
}

// workOrderBook is the work orders a fleet's period touches.
type workOrderBook struct {
	list     []plant.WorkOrder // open at some time in the period, of the fleet's regions
	byDevice map[plant.DeviceID][]*plant.WorkOrder
}

// loadWorkOrders reads the work orders open at some time in f's period,
// of the regions in.
func (r *Reporter) loadWorkOrders(ctx context.Context, f *Fleet, in regionFilter) error {
	src, ok := r.registry.(WorkOrderSource)
	if !ok {
		return nil
	}
	list, err := src.WorkOrders(ctx, plant.WorkOrderFilter{From: f.Period.From, To: f.end()})
	if err != nil {
		return fmt.Errorf("read work orders: %w", err)
	}
	b := &workOrderBook{byDevice: map[plant.DeviceID][]*plant.WorkOrder{}}
	for _, w := range list {
		if in.has(w.Region) {
			b.list = append(b.list, w)
		}
	}
	for i := range b.list {
		w := &b.list[i]
		b.byDevice[w.Device] = append(b.byDevice[w.Device], w)
	}
	f.workOrders = b
	return nil
}

// covers reports whether a work order of dev was open at some time in
// [start, end) (end zero: still going).
func (b *workOrderBook) covers(dev plant.DeviceID, start, end time.Time) bool {
	for _, w := range b.byDevice[dev] {
		if (end.IsZero() || w.OpenedAt.Before(end)) && (w.Status == plant.WorkOrderOpen || w.RestoredAt.After(start)) {
			return true
		}
	}
	return false
}

// RepairReport is what engineers recorded in work orders over a period, per
// group: mean time to repair and main causes of the work orders closed in
// it, those still open at its end, and failures (outages of at least
// FailureMinH) that had no work order.
type RepairReport struct {
	From        time.Time   `json:"from"`
	To          time.Time   `json:"to"`
	TimeZone    string      `json:"time_zone"`
	Group       Group       `json:"group"`
	GeneratedAt time.Time   `json:"generated_at"`
	FailureMinH float64     `json:"failure_min_h"`
	Items       []RepairRow `json:"items"`
	Total       RepairRow   `json:"total"`

	loc *time.Location
}

// RepairRow is one group's work orders.
type RepairRow struct {
	Key     string `json:"key"`
	Name    string `json:"name,omitempty"`
	Region  string `json:"region,omitempty"`
	Country string `json:"country,omitempty"`
	// WorkOrdersClosed counts work orders closed in the period;
	// WorkOrdersOpen those opened before its end and not closed by then.
	WorkOrdersClosed int `json:"work_orders_closed"`
	WorkOrdersOpen   int `json:"work_orders_open"`
	// Failures counts outages of at least FailureMinH in the period;
	// FailuresWithoutWorkOrder those with no work order of their device
	// open at any time while they lasted.
	Failures                 int `json:"failures"`
	FailuresWithoutWorkOrder int `json:"failures_without_work_order"`
	// MTTRH is the mean of restored_at − opened_at over the work orders
	// closed in the period, in hours; null when none was closed.
	MTTRH     *float64         `json:"mttr_h"`
	RepairH   float64          `json:"repair_h"`
	TopCauses []WorkOrderCause `json:"top_causes"`
}

// WorkOrderCause is one cause engineers recorded on closing: a code of
// the fault vocabulary (plant.FaultCodes) with its label in English words,
// or their own words (code empty, label as written), with how many work
// orders closed in the period gave it and their repair hours.
type WorkOrderCause struct {
	Cause      string  `json:"cause"`
	Label      string  `json:"label"`
	WorkOrders int     `json:"work_orders"`
	RepairH    float64 `json:"repair_h"`
}

// TopWorkOrderCauses is how many causes a repair row lists.
const TopWorkOrderCauses = 3

// HasWorkOrders reports whether the fleet's registry keeps work orders.
func (f *Fleet) HasWorkOrders() bool { return f.workOrders != nil }

// Repairs groups the fleet's work orders and failures by g; nil when the
// registry keeps no work orders.
func (f *Fleet) Repairs(g Group) *RepairReport {
	if f.workOrders == nil {
		return nil
	}
	facs := f.facilityIndex()
	devs := make(map[plant.DeviceID]plant.Device, len(f.devices))
	acc := map[string]*repairAcc{}
	var order []string
	row := func(key string, d plant.Device) *repairAcc {
		a, ok := acc[key]
		if !ok {
			u := labelRow(g, key, d, facs)
			a = &repairAcc{row: RepairRow{Key: key, Name: u.Name, Region: u.Region, Country: u.Country}}
			acc[key] = a
			order = append(order, key)
		}
		return a
	}
	total := &repairAcc{row: RepairRow{Key: "total"}}
	for _, d := range f.devices {
		devs[d.dev.ID] = d.dev
		a := row(groupKey(g, d.dev), d.dev)
		for _, fl := range d.failures {
			covered := f.workOrders.covers(d.dev.ID, fl.start, fl.end)
			a.failure(covered)
			total.failure(covered)
		}
	}
	end := f.end()
	for i := range f.workOrders.list {
		w := &f.workOrders.list[i]
		d, ok := devs[w.Device]
		if !ok {
			d = plant.Device{ID: w.Device}
		}
		d.Facility, d.Region = w.Facility, w.Region // where it was when opened
		a := row(groupKey(g, d), d)
		a.add(w, f.Period.From, end)
		total.add(w, f.Period.From, end)
	}
	rep := &RepairReport{From: f.Period.From.UTC(), To: f.Period.To.UTC(), TimeZone: f.Period.Loc.String(), Group: g,
		GeneratedAt: f.GeneratedAt.UTC(), FailureMinH: hours(f.failureMin), Total: total.finish(), loc: f.Period.Loc,
		Items: make([]RepairRow, 0, len(order))}
	for _, k := range order {
		rep.Items = append(rep.Items, acc[k].finish())
	}
	sortByPlace(rep.Items, func(r RepairRow) (string, string, string) { return r.Country, r.Region, r.Key })
	return rep
}

// repairAcc sums one group's work orders.
type repairAcc struct {
	row     RepairRow
	repairH float64
	causes  map[string]*WorkOrderCause
}

func (a *repairAcc) failure(covered bool) {
	a.row.Failures++
	if !covered {
		a.row.FailuresWithoutWorkOrder++
	}
}

// add counts w: closed in [from, end), or open at end.
func (a *repairAcc) add(w *plant.WorkOrder, from, end time.Time) {
	switch {
	case w.Status == plant.WorkOrderClosed && !w.ClosedAt.Before(from) && w.ClosedAt.Before(end):
		a.row.WorkOrdersClosed++
		h := hours(w.RepairTime())
		a.repairH += h
		key, label := causeKey(w.Cause)
		if a.causes == nil {
			a.causes = map[string]*WorkOrderCause{}
		}
		c := a.causes[key]
		if c == nil {
			c = &WorkOrderCause{Cause: plant.CauseCode(w.Cause), Label: label}
			a.causes[key] = c
		}
		c.WorkOrders++
		c.RepairH += h
	case w.OpenedAt.Before(end) && (w.Status == plant.WorkOrderOpen || !w.ClosedAt.Before(end)):
		a.row.WorkOrdersOpen++
	}
}

func (a *repairAcc) finish() RepairRow {
	r := a.row
	r.RepairH = round(a.repairH, 3)
	if r.WorkOrdersClosed > 0 {
		m := round(a.repairH/float64(r.WorkOrdersClosed), 3)
		r.MTTRH = &m
	}
	r.TopCauses = make([]WorkOrderCause, 0, len(a.causes))
	for _, c := range a.causes {
		c.RepairH = round(c.RepairH, 3)
		r.TopCauses = append(r.TopCauses, *c)
	}
	slices.SortFunc(r.TopCauses, func(x, y WorkOrderCause) int {
		return cmp.Or(cmp.Compare(y.WorkOrders, x.WorkOrders), cmp.Compare(y.RepairH, x.RepairH), cmp.Compare(x.Label, y.Label))
	})
	r.TopCauses = r.TopCauses[:min(TopWorkOrderCauses, len(r.TopCauses))]
	return r
}

// causeKey is what causes are counted by: the fault code a cause starts
// with ("compressor_fault: worn rings" is compressor_fault), else its words
// in lower case with single spaces; label is the code in English words, or
// the words as first written.
func causeKey(cause string) (key, label string) {
	if code := plant.CauseCode(cause); code != "" {
		return code, faultIn(i18n.New(i18n.English), code)
	}
	words := strings.Join(strings.Fields(cause), " ")
	return strings.ToLower(words), words
}

// faultKeys are the catalogue keys naming each fault code (plant.FaultCodes):
// rules by their alert names, alarms and mains loss as down-time causes are.
var faultKeys = map[string]string{
	"compressor_fault":   "report.cause.alarm_compressor_fault",
	"dryer_fault":        "report.cause.alarm_dryer_fault",
	"high_temp":          "report.cause.alarm_high_temp",
	"sieve_fault":        "report.cause.alarm_sieve_fault",
	"power_fail":         "report.cause.alarm_power_fail",
	plant.FaultMainsLoss: "report.cause.power_none",
	plant.FaultOther:     "report.wo.cause_other",
}

// faultIn is a fault code in the words of p: its own key, else the alert
// rule's name, else the code with spaces.
func faultIn(p *i18n.Printer, code string) string {
	if k, ok := faultKeys[code]; ok {
		return p.T(k)
	}
	if name := p.Rule(code); name != code {
		return name
	}
	return strings.ReplaceAll(code, "_", " ")
}

// causeLabelIn is a counted cause in the words of p: a code through the
// catalogue, words as the engineer wrote them.
func causeLabelIn(p *i18n.Printer, c WorkOrderCause) string {
	if c.Cause != "" {
		return faultIn(p, c.Cause)
	}
	return c.Label
}

// RepairColumns is the CSV header of a repair report, in its fixed order.
var RepairColumns = []string{
	"group", "key", "name", "region", "country", "work_orders_closed", "work_orders_open",
	"failures", "failures_without_work_order", "work_order_mttr_h", "repair_h", "work_order_causes",
}

// WriteJSON writes the report as indented JSON.
func (r *RepairReport) WriteJSON(w io.Writer) error { return WriteJSON(w, r) }

// WriteCSV writes one row per group, then the total, with machine headers.
func (r *RepairReport) WriteCSV(w io.Writer) error { return r.WriteCSVWith(w, CSVHeaders{}) }

// WriteCSVWith is WriteCSV with the headers h asks for; causes are in h's
// language with human headers, in English otherwise.
func (r *RepairReport) WriteCSVWith(w io.Writer, h CSVHeaders) error {
	p := i18n.New(i18n.English)
	if h.Human {
		p = i18n.New(h.Lang.Or(i18n.English))
	}
	cw := h.writer(w)
	_ = cw.Write(h.names(RepairColumns))
	for _, row := range append(slices.Clone(r.Items), r.Total) {
		_ = cw.Write(repairRecord(r.Group, row, p, h))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write repair csv: %w", err)
	}
	return nil
}

func repairRecord(g Group, r RepairRow, p *i18n.Printer, h CSVHeaders) []string {
	t, num, optNum := CSVText, h.num, h.optNum
	group := string(g)
	if r.Key == "total" {
		group = "total"
	}
	return []string{t(group), t(r.Key), t(r.Name), t(r.Region), t(r.Country), strconv.Itoa(r.WorkOrdersClosed), strconv.Itoa(r.WorkOrdersOpen),
		strconv.Itoa(r.Failures), strconv.Itoa(r.FailuresWithoutWorkOrder), optNum(r.MTTRH), num(r.RepairH), t(woCausesCell(r.TopCauses, p))}
}

// woCausesCell reads "cause in words=work orders; …" in p's words.
func woCausesCell(cs []WorkOrderCause, p *i18n.Printer) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = causeLabelIn(p, c) + "=" + strconv.Itoa(c.WorkOrders)
	}
	return listIn(p, parts)
}

// WriteHTMLIn writes the report as a page of its own, in l.
func (r *RepairReport) WriteHTMLIn(w io.Writer, l i18n.Lang) error {
	p := &Page{Title: wordsIn(l).T("report.repairs"), Period: Period{From: r.From, To: r.To, Loc: reportLoc(r.loc, r.TimeZone)},
		GeneratedAt: r.GeneratedAt, Repairs: r, Lang: l}
	return p.WriteHTML(w)
}

// The template's view of the repairs section.

// RepairTitle heads the repairs table's first column.
func (p *Page) RepairTitle() string { return p.group(p.Repairs.Group, 1) }

// RepairCauses is a row's main causes in the page's words.
func (p *Page) RepairCauses(r RepairRow) string {
	if len(r.TopCauses) == 0 {
		return "–"
	}
	parts := make([]string, len(r.TopCauses))
	for i, c := range r.TopCauses {
		parts[i] = causeLabelIn(p.tr.p, c) + " (" + strconv.Itoa(c.WorkOrders) + ")"
	}
	return listIn(p.tr.p, parts)
}

// RepairsEmpty is true when no work order was open or closed in the period.
func (p *Page) RepairsEmpty() bool {
	t := p.Repairs.Total
	return t.WorkOrdersClosed == 0 && t.WorkOrdersOpen == 0
}

// The DHIS2 indicators from work orders (per facility, for the month).
func init() {
	indicators = append(indicators,
		repairInd("mttr_hours", func(r *RepairRow) *float64 { return r.MTTRH }),
		repairInd("work_orders_closed", func(r *RepairRow) *float64 { return v(float64(r.WorkOrdersClosed)) }),
		repairInd("work_orders_open", func(r *RepairRow) *float64 { return v(float64(r.WorkOrdersOpen)) }),
		repairInd("failures_without_work_order", func(r *RepairRow) *float64 { return v(float64(r.FailuresWithoutWorkOrder)) }),
	)
	for k, v := range map[string]string{
		"work_orders_closed":          "report.csv.work_orders_closed",
		"work_orders_open":            "report.csv.work_orders_open",
		"failures":                    "report.csv.failures",
		"failures_without_work_order": "report.csv.failures_without_work_order",
		"work_order_mttr_h":           "report.csv.work_order_mttr_h",
		"repair_h":                    "report.csv.repair_h",
		"work_order_causes":           "report.csv.work_order_causes",
		"functional_pct_measured":     "report.csv.functional_pct_measured",
		"functional_pct_reported":     "report.csv.functional_pct_reported",
	} {
		csvHeaderKeys[k] = v
	}
}

func repairInd(name string, fn func(r *RepairRow) *float64) indicator {
	return indicator{name: name, repairs: fn}
}

// ErrNoWorkOrders is returned for a repairs report when the registry keeps
// no work orders.
var ErrNoWorkOrders = errors.New("this registry keeps no work orders")

// Repairs computes the repairs report for q.Period grouped by q.Group, over
// the devices and work orders of q.Regions only.
func (r *Reporter) Repairs(ctx context.Context, q Query) (*RepairReport, error) {
	f, err := r.Fleet(ctx, q.Period, q.Regions)
	if err != nil {
		return nil, err
	}
	rep := f.Repairs(q.Group)
	if rep == nil {
		return nil, ErrNoWorkOrders
	}
	return rep, nil
}

// WriteHTML writes the report as a page of its own, in English.
func (r *RepairReport) WriteHTML(w io.Writer) error { return r.WriteHTMLIn(w, i18n.English) }
