package i18n

// woPT is the text of work orders in reports (issue 17), in Portuguese.
var woPT = map[Key]entry{
	"report.repairs":        s("Reparações (ordens de trabalho)"),
	"report.repairs_note":   s("O tempo médio de reparação (TMR) conta desde a abertura de uma ordem de trabalho até o equipamento voltar a funcionar, sobre as ordens fechadas no período; as causas são as que os técnicos registaram ao fechar. Uma avaria é uma paragem de pelo menos %s h; tem ordem de trabalho quando uma estava aberta no equipamento enquanto durou."),
	"report.repairs_none":   s("Nenhuma ordem de trabalho aberta ou fechada no período."),
	"report.kpi.wo_mttr":    pl(1, "tempo médio de reparação pelas ordens de trabalho (%d fechada)", "tempo médio de reparação pelas ordens de trabalho (%d fechadas)"),
	"report.col.wo_closed":  s("ordens|fechadas"),
	"report.col.wo_open":    s("ainda|abertas"),
	"report.col.failures":   s("avarias"),
	"report.col.no_wo":      s("sem|ordem"),
	"report.col.wo_mttr":    s("TMR|h"),
	"report.col.wo_causes":  s("causas principais das avarias"),
	"report.wo.cause_other": s("outra causa"),

	"report.csv.work_orders_closed":          s("ordens de trabalho fechadas"),
	"report.csv.work_orders_open":            s("ordens de trabalho abertas no fim"),
	"report.csv.failures":                    s("avarias"),
	"report.csv.failures_without_work_order": s("avarias sem ordem de trabalho"),
	"report.csv.work_order_mttr_h":           s("tempo médio de reparação, ordens de trabalho (h)"),
	"report.csv.repair_h":                    s("tempo de reparação (h)"),
	"report.csv.work_order_causes":           s("causas principais (ordens de trabalho)"),
	"report.csv.functional_pct_measured":     s("funcionais, medidos (%)"),
	"report.csv.functional_pct_reported":     s("funcionais, declarados (%)"),
}
