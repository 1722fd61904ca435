package notify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// render writes the message for one group of rows to one recipient.
func (s *Service) render(ch Channel, to string, ps []pending) Message {
	m := Message{Key: groupKey(ps), To: to, Name: ps[0].recipient}
	slices.SortStableFunc(ps, byUrgency)
	tr := s.printerFor(ps)
	switch ch {
	case SMS:
		m.Text = s.smsTextIn(tr, ps)
	case Email:
		m.Subject = s.subject(tr, ps)
		m.Text = s.emailText(tr, ps)
		m.HTML = s.emailHTML(tr, ps)
	case Webhook:
		m.JSON = s.webhookJSON(tr, ps[0])
		m.Text = s.line(tr, ps[0])
	}
	return m
}

// groupKey is the idempotency key of the message carrying ps: the row's own
// key for a single row, else a digest of every row's key. The same rows give
// the same key after a restart, so a provider that keeps keys drops a repeat;
// a group that gained rows is a new message.
func groupKey(ps []pending) string {
	if len(ps) == 1 {
		return ps[0].key
	}
	keys := make([]string, len(ps))
	for i, p := range ps {
		keys[i] = p.key
	}
	slices.Sort(keys)
	sum := sha256.Sum256([]byte(strings.Join(keys, "\n")))
	return "group:" + hex.EncodeToString(sum[:16])
}

// byUrgency puts firing before the rest, critical first, then the oldest.
func byUrgency(a, b pending) int {
	if d := firingRank(a) - firingRank(b); d != 0 {
		return d
	}
	if d := sevRank(a.e.Alert.Severity) - sevRank(b.e.Alert.Severity); d != 0 {
		return d
	}
	return int(a.id - b.id)
}

func firingRank(p pending) int {
	if isFiring(p.event) {
		return 0
	}
	return 1
}

func isFiring(ev string) bool { return ev == evFiring || ev == evEscalation || ev == evRepeat }

func sevRank(s plant.Severity) int {
	switch s {
	case plant.SeverityCritical:
		return 0
	case plant.SeverityWarning:
		return 1
	}
	return 2
}

func sevTag(tr *i18n.Printer, s plant.Severity) string {
	switch s {
	case plant.SeverityCritical:
		return tr.T("sms.tag.critical")
	case plant.SeverityWarning:
		return tr.T("sms.tag.warning")
	}
	return tr.T("sms.tag.info")
}

// tag is how a row's line starts: severity while firing, else what happened.
func tag(tr *i18n.Printer, p pending) string {
	switch p.event {
	case evResolved:
		return tr.T("sms.tag.resolved")
	case evAcked:
		return tr.T("sms.tag.acked")
	}
	return sevTag(tr, p.e.Alert.Severity)
}

// what says what is wrong: the summary, else the rule and its value.
func what(a plant.Alert) string {
	if a.Summary != "" {
		return a.Summary
	}
	if a.Value != nil {
		return a.Rule + " " + strconv.FormatFloat(*a.Value, 'f', -1, 64)
	}
	return a.Rule
}

func (s *Service) clock(t time.Time) string { return t.In(s.loc).Format("15:04") }

// when says since when it fires, or what ended it.
func (s *Service) when(tr *i18n.Printer, p pending) string {
	a := p.e.Alert
	switch p.event {
	case evResolved:
		return tr.T("sms.resolved", s.clock(p.e.At))
	case evAcked:
		return tr.T("sms.acked_by", a.AckedBy, s.clock(p.e.At))
	case evEscalation, evRepeat:
		return tr.T("sms.since_unacked", s.clock(a.StartedAt))
	}
	return tr.T("sms.since", s.clock(a.StartedAt))
}

func ackHint(tr *i18n.Printer, p pending) string {
	if !isFiring(p.event) || p.e.Alert.AckCode == "" {
		return ""
	}
	return tr.T("sms.reply", i18n.ReplyKeyword(tr.Lang), p.e.Alert.AckCode)
}

// smsText fits one segment where it can: a single alert reads
// "CRIT Mulago PSA psa-003 purity 78.2% since 02:14 - reply ACK 4821".
func (s *Service) smsText(ps []pending) string { return s.smsTextIn(i18n.New(s.defaultLanguage()), ps) }

// smsTextIn is smsText in the reader's language; in French:
// "CRITIQUE Mulago PSA psa-003 purete O2 78,2 % depuis 02:14 - repondez REÇU 4821".
func (s *Service) smsTextIn(tr *i18n.Printer, ps []pending) string {
	if len(ps) == 1 {
		p := ps[0]
		parts := []string{tag(tr, p), p.e.FacilityName, deviceIn(tr, p.e), whatIn(tr, p.e.Alert), s.when(tr, p), ackHint(tr, p)}
		for i := range parts {
			parts[i] = smsSafe.Replace(parts[i])
		}
		return fitSMS(parts, 3, 1, 2, 4, 0)
	}
	return s.groupSMS(tr, ps)
}

// groupSMS lists as many alerts as fit: "Mulago 10 alerts: CRIT psa-003
// purity 78.2% 02:14 #4821; ... +7 more. Reply ACK + codes". A reply may
// carry several codes ("ACK 4821 4822"). Items are never cut at the end:
// when even the first does not fit, its device and text are shortened so
// that its time and ack code survive.
func (s *Service) groupSMS(tr *i18n.Printer, ps []pending) string {
	gsm := func(t string) string { return ToGSM7(smsSafe.Replace(t)) }
	head := gsm(tr.T("sms.group_head", cutSeptets(ToGSM7(ps[0].e.FacilityName), 30), len(ps)))
	tail := ""
	if firstCode(ps) != "" {
		tail = gsm(tr.T("sms.reply_codes", i18n.ReplyKeyword(tr.Lang)))
	}
	var items []string
	for i, p := range ps {
		item := s.groupItem(tr, p, 0)
		more := ""
		if rest := len(ps) - i - 1; rest > 0 {
			more = gsm(tr.T("sms.more", rest))
		}
		if Septets(joinParts([]string{head, strings.Join(append(items, item), "; "), more, tail})) > SMSSegment {
			more = gsm(tr.T("sms.more", len(ps)-max(len(items), 1)))
			if len(items) == 0 {
				// The room left beside head, "+n more." and tail, less
				// the three spaces that join them.
				room := SMSSegment - Septets(joinParts([]string{head, more, tail})) - 1
				items = append(items, s.groupItem(tr, p, room))
			}
			return fitSMS([]string{head, strings.Join(items, "; "), more, tail}, 0)
		}
		items = append(items, item)
	}
	return fitSMS([]string{head, strings.Join(items, "; ") + ".", tail}, 0)
}

// groupItem is one alert in a grouped SMS: "CRIT psa-003 purity 78.2% 02:14
// #4821". Device and what are cut to 20 and 36 septets; with room > 0 they
// (then the tag) are cut further so that the item fits in room septets, but
// the time and ack code are never cut.
func (s *Service) groupItem(tr *i18n.Printer, p pending, room int) string {
	parts := []string{
		ToGSM7(smsSafe.Replace(tag(tr, p))),
		cutSeptets(ToGSM7(string(p.e.Alert.Device)), 20),
		cutSeptets(ToGSM7(smsSafe.Replace(whatIn(tr, p.e.Alert))), 36),
	}
	var keep []string
	if isFiring(p.event) {
		keep = append(keep, s.clock(p.e.Alert.StartedAt))
		if p.e.Alert.AckCode != "" {
			keep = append(keep, "#"+p.e.Alert.AckCode)
		}
	}
	item := func() string { return joinParts(append(slices.Clone(parts), keep...)) }
	for _, i := range []int{2, 1, 0} {
		over := Septets(item()) - room
		if room <= 0 || over <= 0 {
			break
		}
		parts[i] = cutSeptets(parts[i], Septets(parts[i])-over)
	}
	return item()
}

func firstCode(ps []pending) string {
	for _, p := range ps {
		if isFiring(p.event) && p.e.Alert.AckCode != "" {
			return p.e.Alert.AckCode
		}
	}
	return ""
}

// line is one row in full, for email and the delivery log.
func (s *Service) line(tr *i18n.Printer, p pending) string {
	return joinParts([]string{tag(tr, p), p.e.FacilityName, deviceIn(tr, p.e), whatIn(tr, p.e.Alert), s.when(tr, p)})
}

func (s *Service) subject(tr *i18n.Printer, ps []pending) string {
	if len(ps) == 1 {
		return "[OxyWatch] " + s.line(tr, ps[0])
	}
	crit := 0
	for _, p := range ps {
		if isFiring(p.event) && p.e.Alert.Severity == plant.SeverityCritical {
			crit++
		}
	}
	return "[OxyWatch] " + tr.T("email.subject_group", ps[0].e.FacilityName, len(ps), crit)
}

func (s *Service) emailText(tr *i18n.Printer, ps []pending) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(s.line(tr, p) + "\n")
		a := p.e.Alert
		b.WriteString("  " + tr.T("email.detail", i18n.Code(a.ID), tr.Rule(a.Rule), a.Region, tr.DateTime(a.StartedAt, s.loc)) + "\n")
		if isFiring(p.event) && a.AckCode != "" {
			b.WriteString("  " + tr.T("email.ack", i18n.ReplyKeyword(tr.Lang), a.AckCode) + "\n")
		}
		b.WriteString("\n")
	}
	b.WriteString("-- \nOxyWatch\n")
	return b.String()
}

var htmlBody = template.Must(template.New("email").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><body style="font-family:sans-serif">
<table cellpadding="4" style="border-collapse:collapse">
<tr>{{range .Cols}}<th align="left">{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr><td><b>{{.Tag}}</b></td><td>{{.Facility}}</td><td>{{.Device}}</td><td>{{.What}}</td><td>{{.When}}</td><td>{{.Code}}</td></tr>
{{end}}</table>
<p>{{.Hint}}</p>
<p style="color:#666">OxyWatch</p>
</body></html>
`))

type htmlRow struct{ Tag, Facility, Device, What, When, Code string }

type htmlPage struct {
	Lang string
	Cols []string
	Rows []htmlRow
	Hint string
}

func (s *Service) emailHTML(tr *i18n.Printer, ps []pending) string {
	page := htmlPage{Lang: string(tr.Lang), Hint: tr.T("email.hint", i18n.ReplyKeyword(tr.Lang))}
	for _, k := range []string{"email.col.state", "email.col.facility", "email.col.device", "email.col.what", "email.col.when", "email.col.code"} {
		page.Cols = append(page.Cols, tr.T(k))
	}
	for _, p := range ps {
		code := ""
		if isFiring(p.event) {
			code = p.e.Alert.AckCode
		}
		page.Rows = append(page.Rows, htmlRow{tag(tr, p), p.e.FacilityName, deviceIn(tr, p.e), whatIn(tr, p.e.Alert), s.when(tr, p), code})
	}
	var b bytes.Buffer
	if err := htmlBody.Execute(&b, page); err != nil {
		return ""
	}
	return b.String()
}

// WebhookPayload is the JSON body POSTed to the webhook.
type WebhookPayload struct {
	Key          string           `json:"key"`
	Event        string           `json:"event"`
	From         plant.AlertState `json:"from"`
	To           plant.AlertState `json:"to"`
	At           time.Time        `json:"at"`
	FacilityName string           `json:"facility_name"`
	Kind         plant.Kind       `json:"kind,omitempty"`
	Text         string           `json:"text"`
	Lang         string           `json:"lang"` // language of Text: en, fr or pt
	Alert        plant.Alert      `json:"alert"`
}

func (s *Service) webhookJSON(tr *i18n.Printer, p pending) []byte {
	b, _ := json.Marshal(WebhookPayload{
		Key: p.key, Event: p.event, From: p.e.From, To: p.e.To, At: p.e.At,
		FacilityName: p.e.FacilityName, Kind: p.e.Kind, Text: s.line(tr, p), Lang: string(tr.Lang), Alert: p.e.Alert,
	})
	return b
}
