package i18n

import (
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// aliases are further words a person may write for a code in a
// spreadsheet, beyond its code and its names in every language.
var aliases = map[string]map[string][]string{
	"kind": {
		"psa": {"psa", "usine psa", "unite psa", "generateur psa", "psa oxygen plant", "oxygen plant", "planta psa",
			"usina psa", "gerador psa", "central de oxigenio", "usine d'oxygene", "centrale d'oxygene"},
		"concentrator":  {"oxygen concentrator", "concentrateur", "concentrateur d'oxygene", "concentrador", "concentrador de oxigenio"},
		"lox_tank":      {"lox", "liquid oxygen tank", "reservoir lox", "cuve lox", "cuve d'oxygene liquide", "tanque lox", "tanque de oxigenio liquido"},
		"cylinder_bank": {"cylinders", "cylinder manifold", "bouteilles", "rampe", "cadre de bouteilles", "cilindros", "rampa de cilindros", "bateria de cilindros"},
		"unknown":       {"unknown", "inconnu", "desconhecido", "autre", "other", "outro"},
	},
}

// fold writes a word for comparison: lower case, accents dropped, and
// underscores, hyphens, curly apostrophes and runs of spaces made one form
// ("Réservoir_d’oxygène  liquide" is "reservoir d'oxygene liquide").
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	out = strings.NewReplacer("_", " ", "-", " ", "’", "'", "‘", "'", "`", "'").Replace(strings.ToLower(out))
	return strings.Join(strings.Fields(out), " ")
}

// ParseName reads a code of family ("kind", "status") from a word a person
// wrote in any of our languages, in any case, with or without accents: the
// code itself ("lox_tank"), its name in the catalogue ("réservoir d'oxygène
// liquide", "Concentrador"), or a usual alias ("usine PSA"). ok is false
// when the word names none of codes.
func ParseName(family, word string, codes []string) (code string, ok bool) {
	w := fold(word)
	if w == "" {
		return "", false
	}
	for _, c := range codes {
		if slices.Contains(namesOf(family, c), w) {
			return c, true
		}
	}
	return "", false
}

// namesOf lists every folded word for code: the code, its names in each
// language (the shared catalogue's, the dashboard's, the SMS short form)
// and its aliases.
func namesOf(family, code string) []string {
	ws := []string{fold(code)}
	for _, l := range Langs {
		for _, k := range []string{family + "." + code, webPrefix + family + "." + code, family + ".short." + code} {
			if e, ok := catalogue[l][Key(k)]; ok && e.other != "" {
				ws = append(ws, fold(e.other))
			}
		}
	}
	for _, a := range aliases[family][code] {
		ws = append(ws, fold(a))
	}
	return ws
}

// Names lists the names of codes in p's language, for a message saying
// which words are accepted ("centrale PSA, concentrateur, ...").
func (p *Printer) Names(family string, codes []string) []string {
	out := make([]string, 0, len(codes))
	for _, c := range codes {
		out = append(out, p.name(family, c))
	}
	return out
}
