package i18n

// Issue 15's words: the uses and measurement points that choose a device's
// alert thresholds (families "use" and "point", read back from CSV imports
// by ParseName), the CSV import's messages about them, and the report's
// maintenance due column (merged in catalogue.go).
var threshEN = map[Key]entry{
	"use.pipeline":         s("pipeline supply"),
	"use.cylinder_filling": s("cylinder filling"),
	"use.bedside":          s("bedside"),

	"point.outlet":           s("outlet"),
	"point.buffer_tank":      s("buffer tank"),
	"point.pipeline":         s("pipeline"),
	"point.filling_manifold": s("filling manifold"),

	"csv.unknown_use":   s("column %[1]s: %[2]q is not a use; write one of: %[3]s (or the codes %[4]s)"),
	"csv.unknown_point": s("column %[1]s: %[2]q is not a measurement point; write one of: %[3]s (or the codes %[4]s)"),

	"report.col.due":           s("due"),
	"report.due.calendar":      s("due by %s (calendar)"),
	"report.due.calendar_past": s("overdue since %s (calendar)"),
	"report.due.hours_left":    s("in %s h"),
	"report.due.hours_past":    s("%s h overdue"),
}

// threshAliases are further words for uses and measurement points.
var threshAliases = map[string]map[string][]string{
	"use": {
		"pipeline": {"pipeline", "piped", "hospital pipeline", "reseau", "canalisation", "rede", "canalizacao"},
		"cylinder_filling": {"cylinders", "filling", "booster", "bouteilles", "remplissage", "cilindros", "enchimento",
			"enchimento de garrafas"},
		"bedside": {"patient", "ward", "lit", "chevet", "leito", "cabeceira"},
	},
	"point": {
		"outlet":           {"product outlet", "sortie produit", "saida do produto"},
		"buffer_tank":      {"buffer", "receiver", "product tank", "o2 tank", "ballon tampon", "cuve tampon", "reservoir", "tanque", "reservatorio"},
		"pipeline":         {"hospital pipeline", "canalisation", "reseau hospitalier", "canalizacao", "rede hospitalar"},
		"filling_manifold": {"manifold", "filling ramp", "rampe", "rampa", "collecteur"},
	},
}

func init() {
	for fam, codes := range threshAliases {
		aliases[fam] = codes
	}
}
