package ingest

import (
	"fmt"

	"github.com/oxywatch/oxywatch/ingest/mapping"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// KnownKey reports whether name is a CONTRACT §3 key (unit aliases
// included): what a mapping file may map a vendor key to.
func KnownKey(name string) bool { return lookupKey([]byte(name)) != keyUnknown }

// LoadMappings reads and checks a mapping file (ingest.mappings).
func LoadMappings(path string) (*mapping.Set, error) { return mapping.Load(path, KnownKey) }

// mappedKey is key for a vendor key the model maps.
func (x *decoder) mappedKey(t mapping.Target, p *parsed) (key, bool) {
	x.scale, x.alarm = t.Scale, t.Alarm
	if t.Alarm != "" {
		return keyAlarmFlag, false
	}
	k := lookupKey([]byte(t.Key))
	if k == keyUnknown {
		return k, false // a checked mapping never gets here
	}
	bit := uint32(1) << k
	dup := p.seen&bit != 0
	p.seen |= bit
	return k, dup
}

// alarmFlag reads a mapped alarm flag: true or a non-zero number raise its
// alarm; false, 0 and null do not.
func (x *decoder) alarmFlag(p *parsed) error {
	raw, err := x.js.ReadValue()
	if err != nil {
		return err
	}
	on := false
	switch raw[0] {
	case 't':
		on = true
	case 'f', 'n':
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		f, rej := parseNumber("alarm flag "+x.alarm, raw)
		if rej != nil {
			p.rej = rej
			return nil
		}
		on = f != 0
	default:
		p.rej = &Rejection{Reason: ReasonBadType, Detail: fmt.Sprintf("alarm flag %s must be true, false or a number, got %s", x.alarm, clip(raw))}
	}
	if on {
		x.flags = append(x.flags, x.alarm)
	}
	return nil
}

// addFlags adds the codes of raised alarm flags to the reading's alarms.
func (x *decoder) addFlags(p *parsed) *Rejection {
	all := make([]string, 0, len(p.r.Alarms)+len(x.flags))
	all = append(append(all, p.r.Alarms...), x.flags...)
	if rej := checkAlarms(all, len(all)); rej != nil {
		return rej
	}
	p.r.Alarms = all
	return nil
}

// word returns the text of a state or power value. A mapped payload may
// give them as numbers (a controller's enumeration register: "2" → fault
// in the mapping's states).
func (x *decoder) word(name string, raw []byte) ([]byte, *Rejection) {
	if x.m != nil && len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return raw, nil
	}
	return x.str(name, raw)
}

// unknownWord is which words of a reading were not understood.
type unknownWord uint8

const (
	unknownState unknownWord = 1 << iota
	unknownPower
)

func (x *decoder) unknownWord(p *parsed, which unknownWord, w []byte) {
	if p.unknown == 0 {
		x.badWord = append(x.badWord[:0], clip(w)...)
	}
	p.unknown |= which
}

// unknownWords counts an accepted reading's unknown words.
func (d *Decoded) unknownWords(p *parsed, word []byte) {
	if p.unknown&unknownState != 0 {
		d.UnknownStates++
	}
	if p.unknown&unknownPower != 0 {
		d.UnknownPowers++
	}
	if d.UnknownWord == "" {
		name := "state"
		if p.unknown&unknownState == 0 {
			name = "power"
		}
		d.UnknownWord = fmt.Sprintf("%s %q", name, word)
	}
}

// UnknownWordText is the last_error line for a reading stored with state or
// power unknown.
func (d *Decoded) UnknownWordText() string {
	return fmt.Sprintf("%s is not a word OxyWatch knows: stored as %s (map it in the ingest mapping file for this device's model)", d.UnknownWord, plant.StateUnknown)
}
