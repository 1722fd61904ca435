package i18n

// threshFR: see thresh_en.go.
var threshFR = map[Key]entry{
	"use.pipeline":         s("alimentation du réseau"),
	"use.cylinder_filling": s("remplissage de bouteilles"),
	"use.bedside":          s("au lit du patient"),

	"point.outlet":           s("sortie"),
	"point.buffer_tank":      s("réservoir tampon"),
	"point.pipeline":         s("réseau"),
	"point.filling_manifold": s("rampe de remplissage"),

	"csv.unknown_use":   s("colonne %[1]s\u00a0: %[2]q n’est pas un usage\u00a0; écrivez l’un de\u00a0: %[3]s (ou les codes %[4]s)"),
	"csv.unknown_point": s("colonne %[1]s\u00a0: %[2]q n’est pas un point de mesure\u00a0; écrivez l’un de\u00a0: %[3]s (ou les codes %[4]s)"),

	"report.col.due":           s("échéance"),
	"report.due.calendar":      s("avant le %s (calendrier)"),
	"report.due.calendar_past": s("en retard depuis le %s (calendrier)"),
	"report.due.hours_left":    s("dans %s h"),
	"report.due.hours_past":    s("%s h de retard"),
}
