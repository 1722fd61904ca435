package i18n

// threshPT: see thresh_en.go.
var threshPT = map[Key]entry{
	"use.pipeline":         s("abastecimento da rede"),
	"use.cylinder_filling": s("enchimento de cilindros"),
	"use.bedside":          s("à beira do leito"),

	"point.outlet":           s("saída"),
	"point.buffer_tank":      s("tanque pulmão"),
	"point.pipeline":         s("rede"),
	"point.filling_manifold": s("rampa de enchimento"),

	"csv.unknown_use":   s("coluna %[1]s: %[2]q não é um uso; escreva um de: %[3]s (ou os códigos %[4]s)"),
	"csv.unknown_point": s("coluna %[1]s: %[2]q não é um ponto de medição; escreva um de: %[3]s (ou os códigos %[4]s)"),

	"report.col.due":           s("vencimento"),
	"report.due.calendar":      s("até %s (calendário)"),
	"report.due.calendar_past": s("atrasado desde %s (calendário)"),
	"report.due.hours_left":    s("em %s h"),
	"report.due.hours_past":    s("%s h de atraso"),
}
