package i18n

// woEN is the text of work orders in reports (issue 17), in English.
var woEN = map[Key]entry{
	"report.repairs":        s("Repairs (work orders)"),
	"report.repairs_note":   s("Mean time to repair (MTTR) runs from the opening of a work order to when the equipment worked again, over the work orders closed in the period; causes are what engineers recorded on closing. A failure is an outage of at least %s h; it has a work order when one was open on its device while it lasted."),
	"report.repairs_none":   s("No work order was open or closed in the period."),
	"report.kpi.wo_mttr":    pl(1, "mean time to repair, from work orders (%d closed)", "mean time to repair, from work orders (%d closed)"),
	"report.col.wo_closed":  s("work orders|closed"),
	"report.col.wo_open":    s("still|open"),
	"report.col.failures":   s("failures"),
	"report.col.no_wo":      s("without|work order"),
	"report.col.wo_mttr":    s("MTTR|h"),
	"report.col.wo_causes":  s("main causes of failure"),
	"report.wo.cause_other": s("other cause"),

	"report.csv.work_orders_closed":          s("work orders closed"),
	"report.csv.work_orders_open":            s("work orders open at the end"),
	"report.csv.failures":                    s("failures"),
	"report.csv.failures_without_work_order": s("failures without a work order"),
	"report.csv.work_order_mttr_h":           s("mean time to repair, work orders (h)"),
	"report.csv.repair_h":                    s("repair time (h)"),
	"report.csv.work_order_causes":           s("main causes (work orders)"),
	"report.csv.functional_pct_measured":     s("functional, measured (%)"),
	"report.csv.functional_pct_reported":     s("functional, reported (%)"),
}
