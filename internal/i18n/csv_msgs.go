package i18n

// The CSV imports' messages about words they do not know, in each
// language (api/csv.go). %[1]s is the column, %[2]q the word, %[3]s the
// accepted names in the reader's language, %[4]s the codes.
var csvEN = map[Key]entry{
	"csv.unknown_kind": s("column %[1]s: %[2]q is not a kind of equipment; write one of: %[3]s (or the codes %[4]s)"),
}

var csvFR = map[Key]entry{
	"csv.unknown_kind": s("colonne %[1]s\u00a0: %[2]q n’est pas un type d’équipement\u00a0; écrivez l’un de\u00a0: %[3]s (ou les codes %[4]s)"),
}

var csvPT = map[Key]entry{
	"csv.unknown_kind": s("coluna %[1]s: %[2]q não é um tipo de equipamento; escreva um de: %[3]s (ou os códigos %[4]s)"),
}
