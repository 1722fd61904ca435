package api

import (
	"strings"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// useCodes and pointCodes are the uses and measurement points a CSV may
// name, as strings for i18n.ParseName.
var (
	useCodes   = codesOf(plant.Uses)
	pointCodes = codesOf(plant.Points)
)

func codesOf[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// codeColumns give each column's catalogue family (naming its codes) and
// the message for a word it does not know.
var codeColumns = map[string]struct{ family, unknown string }{
	"use":               {"use", "csv.unknown_use"},
	"measurement_point": {"point", "csv.unknown_point"},
}

// parseCode reads the column's code written as the code or its name in
// English, French or Portuguese ("cylinder_filling", "remplissage de
// bouteilles", "enchimento de cilindros"); empty is "" (the default). An
// unknown word is an error naming the column and the words accepted, in
// tr's language.
func parseCode(tr *i18n.Printer, column, word string, codes []string) (string, error) {
	if strings.TrimSpace(word) == "" {
		return "", nil
	}
	col := codeColumns[column]
	code, ok := i18n.ParseName(col.family, word, codes)
	if !ok {
		return "", i18n.Errorf(col.unknown, column, word, strings.Join(tr.Names(col.family, codes), ", "), strings.Join(codes, ", "))
	}
	return code, nil
}
