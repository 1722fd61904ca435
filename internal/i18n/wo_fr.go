package i18n

// woFR is the text of work orders in reports (issue 17), in French.
var woFR = map[Key]entry{
	"report.repairs":        s("Réparations (ordres de travail)"),
	"report.repairs_note":   s("Le temps moyen de réparation (TMR) court de l’ouverture d’un ordre de travail à la remise en marche de l’équipement, sur les ordres clos dans la période\u00a0; les causes sont celles que les techniciens ont notées à la clôture. Une panne est un arrêt d’au moins %s h\u00a0; elle a un ordre de travail si l’un était ouvert sur l’équipement pendant qu’elle durait."),
	"report.repairs_none":   s("Aucun ordre de travail ouvert ou clos dans la période."),
	"report.kpi.wo_mttr":    pl(1, "temps moyen de réparation selon les ordres de travail (%d clos)", "temps moyen de réparation selon les ordres de travail (%d clos)"),
	"report.col.wo_closed":  s("ordres|clos"),
	"report.col.wo_open":    s("encore|ouverts"),
	"report.col.failures":   s("pannes"),
	"report.col.no_wo":      s("sans|ordre"),
	"report.col.wo_mttr":    s("TMR|h"),
	"report.col.wo_causes":  s("causes principales des pannes"),
	"report.wo.cause_other": s("autre cause"),

	"report.csv.work_orders_closed":          s("ordres de travail clos"),
	"report.csv.work_orders_open":            s("ordres de travail ouverts à la fin"),
	"report.csv.failures":                    s("pannes"),
	"report.csv.failures_without_work_order": s("pannes sans ordre de travail"),
	"report.csv.work_order_mttr_h":           s("temps moyen de réparation, ordres de travail (h)"),
	"report.csv.repair_h":                    s("temps de réparation (h)"),
	"report.csv.work_order_causes":           s("causes principales (ordres de travail)"),
	"report.csv.functional_pct_measured":     s("fonctionnels, mesurés (%)"),
	"report.csv.functional_pct_reported":     s("fonctionnels, déclarés (%)"),
}
