package notify

import "strings"

// SMSSegment is how many GSM-7 septets one SMS holds.
const SMSSegment = 160

// gsmBasic is the GSM 03.38 default alphabet (one septet each).
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtended are characters sent as escape + one septet (two septets).
const gsmExtended = "^{}\\[~]|€\f"

// gsmLike maps common characters outside GSM-7 to look-alikes inside it, so
// that one stray dash or accent does not turn a message into UCS-2 (70
// characters a segment).
var gsmLike = map[rune]string{
	'—': "-", '–': "-", '‐': "-", '‘': "'", '’': "'", '‚': "'", '“': "\"", '”': "\"", '„': "\"",
	'…': "...", '•': "*", '·': ".", '°': "deg", 'µ': "u", '×': "x", '\t': " ", '\u00a0': " ",
	'á': "a", 'â': "a", 'ã': "a", 'ā': "a", 'ç': "c", 'ê': "e", 'ë': "e", 'ē': "e", 'í': "i",
	'î': "i", 'ï': "i", 'ó': "o", 'ô': "o", 'õ': "o", 'ú': "u", 'û': "u", 'ý': "y", 'ÿ': "y",
	'Á': "A", 'À': "A", 'Â': "A", 'Ã': "A", 'È': "E", 'Ê': "E", 'Ë': "E", 'Í': "I", 'Ì': "I",
	'Î': "I", 'Ï': "I", 'Ó': "O", 'Ò': "O", 'Ô': "O", 'Õ': "O", 'Ú': "U", 'Ù': "U", 'Û': "U",
	'œ': "oe", 'Œ': "OE", 'ş': "s", 'Ş': "S", 'ţ': "t", 'ğ': "g", 'ı': "i", 'ł': "l", 'ć': "c",
	'č': "c", 'š': "s", 'ž': "z", 'ń': "n",
}

func isGSMBasic(r rune) bool    { return strings.ContainsRune(gsmBasic, r) }
func isGSMExtended(r rune) bool { return strings.ContainsRune(gsmExtended, r) }

// ToGSM7 replaces characters outside the GSM-7 alphabet with look-alikes,
// or '?' when there is none.
func ToGSM7(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case isGSMBasic(r) || isGSMExtended(r):
			b.WriteRune(r)
		case gsmLike[r] != "":
			b.WriteString(gsmLike[r])
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// Septets is the GSM-7 length of s, or -1 when s holds a character outside
// GSM-7.
func Septets(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case isGSMBasic(r):
			n++
		case isGSMExtended(r):
			n += 2
		default:
			return -1
		}
	}
	return n
}

// cutSeptets shortens GSM-7 text s to at most n septets, ending with ".."
// when it cut anything.
func cutSeptets(s string, n int) string {
	if Septets(s) <= n {
		return s
	}
	if n < 2 {
		return ""
	}
	var b strings.Builder
	used := 0
	for _, r := range s {
		w := 1
		if isGSMExtended(r) {
			w = 2
		}
		if used+w > n-2 {
			break
		}
		b.WriteRune(r)
		used += w
	}
	return strings.TrimRight(b.String(), " ") + ".."
}

// fitSMS joins parts with spaces into GSM-7 text of at most one segment,
// shortening the parts named in order (by index) until it fits. Parts that
// are empty are left out. When even that cannot fit, the text is returned
// as it is and goes out in several segments.
func fitSMS(parts []string, shrinkOrder ...int) string {
	for i := range parts {
		parts[i] = ToGSM7(strings.TrimSpace(parts[i]))
	}
	for _, i := range shrinkOrder {
		over := Septets(joinParts(parts)) - SMSSegment
		if over <= 0 {
			break
		}
		parts[i] = cutSeptets(parts[i], Septets(parts[i])-over)
	}
	return joinParts(parts)
}

func joinParts(parts []string) string {
	var nonEmpty []string
	for _, p := range parts {
		if p != "" {
			nonEmpty = append(nonEmpty, p)
		}
	}
	return strings.Join(nonEmpty, " ")
}
