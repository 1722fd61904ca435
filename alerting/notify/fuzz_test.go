package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// FuzzSMSText: whatever names, summaries and devices hold, an SMS is GSM-7
// and one segment, and keeps its ack code.
func FuzzSMSText(f *testing.F) {
	f.Add("Mulago", "psa-3", "purity 78.2%", "Grace", uint8(0), false)
	f.Add("Hôpital régional de Thiès — bloc opératoire", "conc-12", "pureté 78,2 % < 82 %", "Aïssatou", uint8(2), true)
	f.Add(strings.Repeat("Ж", 300), strings.Repeat("d", 64), strings.Repeat("€", 200), strings.Repeat("n", 200), uint8(1), true)
	h := newHarness(f, testConfig(), nil)
	f.Fuzz(func(t *testing.T, facility, device, summary, by string, ev uint8, group bool) {
		if len(device) > 64 {
			device = device[:64]
		}
		events := []string{evFiring, evEscalation, evAcked, evResolved}
		tr := firing(1, "mulago", device, time.Date(2026, 3, 10, 2, 14, 0, 0, time.UTC))
		tr.Alert.Summary, tr.Alert.AckedBy = summary, by
		p := pending{id: 1, event: events[int(ev)%len(events)], e: event{Alert: tr.Alert, FacilityName: facility, Kind: plant.KindPSA, At: tr.At}}
		ps := []pending{p}
		if group {
			q := p
			q.id, q.event = 2, evFiring
			ps = append(ps, q)
		}
		text := h.s.smsText(ps)
		if n := Septets(text); n < 0 || n > SMSSegment {
			t.Fatalf("got %d septets: %q", n, text)
		}
		if isFiring(ps[0].event) && !strings.Contains(text, "4801") {
			t.Fatalf("lost the ack code: %q", text)
		}
	})
}

// FuzzInboundText: any reply parses without panicking, and every code found
// is a number a reply could carry.
func FuzzInboundText(f *testing.F) {
	for _, s := range []string{"ACK 4821", "ack#4821 4822", "  Ack 12 ", "OK", "ACK 123456789", "ACK ٤٨٢١"} {
		f.Add(s, "+256 772-000 111")
	}
	f.Fuzz(func(t *testing.T, text, phone string) {
		if ackText.MatchString(text) {
			for _, c := range ackCode.FindAllString(text, maxCodes) {
				if len(c) < 3 || len(c) > 8 || strings.Trim(c, "0123456789") != "" {
					t.Fatalf("code %q from %q", c, text)
				}
			}
		}
		_ = normalisePhone(phone)
		_ = maskPhone(phone)
	})
}
