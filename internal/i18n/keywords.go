package i18n

import (
	"cmp"
	"slices"
	"strings"
)

// replyKeywords are the words a reply may start with to acknowledge an
// alert, by language; the first is the one messages suggest. A reply in any
// language is accepted from anyone, whatever language they were told in.
var replyKeywords = map[Lang][]string{
	English:    {"ACK", "OK"},
	French:     {"REÇU", "RECU", "VU", "ACQ"}, // Ç is in GSM-7; read aloud, RECU is "requ"
	Portuguese: {"CIENTE", "RECEBIDO", "VISTO"},
}

// ReplyKeyword is the word messages in l ask a reader to reply with.
func ReplyKeyword(l Lang) string {
	if ks := replyKeywords[l]; len(ks) > 0 {
		return ks[0]
	}
	return replyKeywords[English][0]
}

// ReplyKeywords lists every acknowledging word in every language, upper
// case, longest first so that a pattern built from them prefers "RECEBIDO"
// to a shorter word it starts with.
func ReplyKeywords() []string {
	var all []string
	for _, l := range Langs {
		all = append(all, replyKeywords[l]...)
	}
	slices.SortFunc(all, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), cmp.Compare(a, b))
	})
	return all
}

// IsReplyKeyword reports whether w (any case) is an acknowledging word.
func IsReplyKeyword(w string) bool {
	for _, k := range ReplyKeywords() {
		if strings.EqualFold(k, w) {
			return true
		}
	}
	return false
}
