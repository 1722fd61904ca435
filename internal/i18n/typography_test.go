package i18n

import (
	"slices"
	"strings"
	"testing"
	"unicode"
)

// TestFrenchSpaceBeforeHighPunctuation: French sets a no-break space before
// : ; ! ? and », and after «, so that a line never starts with the mark.
// The catalogue uses U+00A0 for all of them (what most of it did already;
// U+202F, the narrow one, is missing from fonts a clinic's old PC or phone
// may have). A plain space or U+202F there fails the test.
//
// Documented exceptions, left as they are: a mark directly followed by a
// letter, digit or one of = / & (code: "?token=", "?lang=", host:port);
// marks with no space before them (code and URLs: "Authorization: Bearer",
// "tcp://127.0.0.1:1883", "HH:MM"). SMS texts (sms.*, what.*) follow the
// rule too: notify turns U+00A0 into a plain space before it counts GSM-7
// septets (smsSafe), so an SMS stays GSM-7.
//
// The space between a number and "%" is not one of these: the dashboard's
// texts use U+202F there, as Intl writes the dashboard's own numbers
// ("4\u202f380"), and HTML reports do too (Printer.Typeset); see
// TestDashboardPercentSign.
func TestFrenchSpaceBeforeHighPunctuation(t *testing.T) {
	for k, m := range catalogue[French] {
		for _, text := range []string{m.one, m.other} {
			for _, bad := range badFrenchSpaces(text) {
				t.Errorf("%s: %s in %q", k, bad, text)
			}
		}
	}
}

// badFrenchSpaces lists the spaces of text French typography wants
// no-break (U+00A0) and that are not.
func badFrenchSpaces(text string) []string {
	r := []rune(text)
	var bad []string
	for i, c := range r {
		var prev, next rune
		if i > 0 {
			prev = r[i-1]
		}
		if i+1 < len(r) {
			next = r[i+1]
		}
		switch {
		case strings.ContainsRune(":;!?»", c) && (prev == ' ' || prev == '\u202f') && !codeAfter(next):
			bad = append(bad, spaceName(prev)+" before "+string(c))
		case c == '«' && (next == ' ' || next == '\u202f'):
			bad = append(bad, spaceName(next)+" after «")
		}
	}
	return bad
}

// codeAfter tells a character after a mark that makes it code, not
// punctuation: "?token=", "?lang=".
func codeAfter(next rune) bool {
	return unicode.IsLetter(next) || unicode.IsDigit(next) || strings.ContainsRune("=/&", next)
}

func spaceName(r rune) string {
	if r == '\u202f' {
		return "U+202F"
	}
	return "a plain space"
}

// The check itself: what it takes and what it leaves.
func TestBadFrenchSpaces(t *testing.T) {
	for text, want := range map[string][]string{
		"corps JSON invalide : %v":                               {"a plain space before :"},
		"plein ?) ; rien":                                        {"a plain space before ?", "a plain space before ;"},
		"Répondez « %s code » au SMS":                            {"a plain space after «", "a plain space before »"},
		"révoqué\u202f?":                                         {"U+202F before ?"},
		"corps JSON invalide\u00a0: %v":                          nil,
		"«\u00a0devices\u00a0» est vide":                         nil,
		"exige ?token= avec cette valeur, sans --lang ni ?lang=": nil,
		"Authorization: Bearer JETON, tcp://127.0.0.1:1883":      nil,
	} {
		if got := badFrenchSpaces(text); !slices.Equal(got, want) {
			t.Errorf("%q: got %q, want %q", text, got, want)
		}
	}
}
