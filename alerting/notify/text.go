package notify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// render writes the message for one group of rows to one recipient.
func (s *Service) render(ch Channel, to string, ps []pending) Message {
	m := Message{Key: groupKey(ps), To: to, Name: ps[0].recipient}
	slices.SortStableFunc(ps, byUrgency)
	switch ch {
	case SMS:
		m.Text = s.smsText(ps)
	case Email:
		m.Subject = s.subject(ps)
		m.Text = s.emailText(ps)
		m.HTML = s.emailHTML(ps)
	case Webhook:
		m.JSON = s.webhookJSON(ps[0])
		m.Text = s.line(ps[0])
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

func sevTag(s plant.Severity) string {
	switch s {
	case plant.SeverityCritical:
		return "CRIT"
	case plant.SeverityWarning:
		return "WARN"
	}
	return "INFO"
}

// tag is how a row's line starts: severity while firing, else what happened.
func tag(p pending) string {
	switch p.event {
	case evResolved:
		return "OK"
	case evAcked:
		return "ACKED"
	}
	return sevTag(p.e.Alert.Severity)
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

func device(e event) string {
	parts := []string{}
	if e.Kind != "" && e.Kind != plant.KindUnknown {
		parts = append(parts, strings.ToUpper(string(e.Kind)))
	}
	if e.Alert.Device != "" {
		parts = append(parts, string(e.Alert.Device))
	}
	return strings.Join(parts, " ")
}

// when says since when it fires, or what ended it.
func (s *Service) when(p pending) string {
	a := p.e.Alert
	switch p.event {
	case evResolved:
		return "resolved " + s.clock(p.e.At)
	case evAcked:
		return "by " + a.AckedBy + " " + s.clock(p.e.At)
	case evEscalation, evRepeat:
		return "since " + s.clock(a.StartedAt) + ", not acked"
	}
	return "since " + s.clock(a.StartedAt)
}

func ackHint(p pending) string {
	if !isFiring(p.event) || p.e.Alert.AckCode == "" {
		return ""
	}
	return "- reply ACK " + p.e.Alert.AckCode
}

// smsText fits one segment where it can: a single alert reads
// "CRIT Mulago PSA psa-003 purity 78.2% since 02:14 - reply ACK 4821".
func (s *Service) smsText(ps []pending) string {
	if len(ps) == 1 {
		p := ps[0]
		parts := []string{tag(p), p.e.FacilityName, device(p.e), what(p.e.Alert), s.when(p), ackHint(p)}
		return fitSMS(parts, 3, 1, 2, 4)
	}
	return s.groupSMS(ps)
}

// groupSMS lists as many alerts as fit: "Mulago 10 alerts: CRIT psa-003
// purity 78.2% 02:14 #4821; ... +7 more. Reply ACK + codes". A reply may
// carry several codes ("ACK 4821 4822").
func (s *Service) groupSMS(ps []pending) string {
	head := fmt.Sprintf("%s %d alerts:", cutSeptets(ToGSM7(ps[0].e.FacilityName), 30), len(ps))
	tail := ""
	if firstCode(ps) != "" {
		tail = "Reply ACK + codes"
	}
	var items []string
	for i, p := range ps {
		item := ToGSM7(s.groupItem(p))
		more := ""
		if rest := len(ps) - i - 1; rest > 0 {
			more = fmt.Sprintf("+%d more.", rest)
		}
		if Septets(joinParts([]string{head, strings.Join(append(items, item), "; "), more, tail})) > SMSSegment {
			if len(items) == 0 {
				items = append(items, item)
			}
			return fitSMS([]string{head, strings.Join(items, "; "), fmt.Sprintf("+%d more.", len(ps)-len(items)), tail}, 1, 0)
		}
		items = append(items, item)
	}
	return fitSMS([]string{head, strings.Join(items, "; ") + ".", tail}, 1, 0)
}

// groupItem is one alert in a grouped SMS; device and what are cut so that
// at least one item, its time and ack code fit beside the head and tail.
func (s *Service) groupItem(p pending) string {
	device := cutSeptets(ToGSM7(string(p.e.Alert.Device)), 20)
	item := joinParts([]string{tag(p), device, cutSeptets(ToGSM7(what(p.e.Alert)), 36)})
	if isFiring(p.event) {
		item += " " + s.clock(p.e.Alert.StartedAt)
		if p.e.Alert.AckCode != "" {
			item += " #" + p.e.Alert.AckCode
		}
	}
	return item
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
func (s *Service) line(p pending) string {
	return joinParts([]string{tag(p), p.e.FacilityName, device(p.e), what(p.e.Alert), s.when(p)})
}

func (s *Service) subject(ps []pending) string {
	if len(ps) == 1 {
		return "[OxyWatch] " + s.line(ps[0])
	}
	crit := 0
	for _, p := range ps {
		if isFiring(p.event) && p.e.Alert.Severity == plant.SeverityCritical {
			crit++
		}
	}
	return fmt.Sprintf("[OxyWatch] %s: %d alerts, %d critical", ps[0].e.FacilityName, len(ps), crit)
}

func (s *Service) emailText(ps []pending) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(s.line(p) + "\n")
		a := p.e.Alert
		fmt.Fprintf(&b, "  alert %d, rule %s, region %s, started %s\n", a.ID, a.Rule, a.Region, a.StartedAt.In(s.loc).Format(time.RFC3339))
		if isFiring(p.event) && a.AckCode != "" {
			fmt.Fprintf(&b, "  acknowledge: reply ACK %s to the alert SMS, or in the dashboard\n", a.AckCode)
		}
		b.WriteString("\n")
	}
	b.WriteString("-- \nOxyWatch\n")
	return b.String()
}

var htmlBody = template.Must(template.New("email").Parse(`<!DOCTYPE html>
<html><body style="font-family:sans-serif">
<table cellpadding="4" style="border-collapse:collapse">
<tr><th align="left">State</th><th align="left">Facility</th><th align="left">Device</th><th align="left">What</th><th align="left">When</th><th align="left">Ack code</th></tr>
{{range .}}<tr><td><b>{{.Tag}}</b></td><td>{{.Facility}}</td><td>{{.Device}}</td><td>{{.What}}</td><td>{{.When}}</td><td>{{.Code}}</td></tr>
{{end}}</table>
<p>Reply <code>ACK code</code> to the alert SMS, or acknowledge in the dashboard.</p>
<p style="color:#666">OxyWatch</p>
</body></html>
`))

type htmlRow struct{ Tag, Facility, Device, What, When, Code string }

func (s *Service) emailHTML(ps []pending) string {
	rows := make([]htmlRow, len(ps))
	for i, p := range ps {
		code := ""
		if isFiring(p.event) {
			code = p.e.Alert.AckCode
		}
		rows[i] = htmlRow{tag(p), p.e.FacilityName, device(p.e), what(p.e.Alert), s.when(p), code}
	}
	var b bytes.Buffer
	if err := htmlBody.Execute(&b, rows); err != nil {
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
	Alert        plant.Alert      `json:"alert"`
}

func (s *Service) webhookJSON(p pending) []byte {
	b, _ := json.Marshal(WebhookPayload{
		Key: p.key, Event: p.event, From: p.e.From, To: p.e.To, At: p.e.At,
		FacilityName: p.e.FacilityName, Kind: p.e.Kind, Text: s.line(p), Alert: p.e.Alert,
	})
	return b
}
