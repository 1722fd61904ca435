package i18n

// Key names a catalogue message.
type Key string

// entry is one message: other alone, or a plural message choosing one or
// other by the count in argument arg (1-based).
type entry struct {
	one, other string
	arg        int
}

func s(text string) entry                 { return entry{other: text} }
func pl(arg int, one, other string) entry { return entry{one: one, other: other, arg: arg} }

// catalogue holds every message in every language; the test keeps the three
// in step.
var catalogue = map[Lang]map[Key]entry{English: en, French: fr, Portuguese: pt}
