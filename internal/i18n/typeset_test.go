package i18n_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/oxywatch/oxywatch/alerting/notify"
	"github.com/oxywatch/oxywatch/internal/i18n"
)

// TestNumbersForSMSAndForPages: the printer SMS and CSV use writes French
// numbers with plain spaces, every character one GSM-7 septet; a Typeset
// printer (dashboard, HTML reports) puts U+202F between the thousands and
// before "%". English and Portuguese are the same either way.
func TestNumbersForSMSAndForPages(t *testing.T) {
	for _, tc := range []struct {
		lang                   i18n.Lang
		num, pct, hours        string // New
		pageNum, pagePct, page string // Typeset; page is Hours
	}{
		{i18n.French, "1 234 567,8", "93,4 %", "4 380 h", "1\u202f234\u202f567,8", "93,4\u202f%", "4\u202f380 h"},
		{i18n.English, "1,234,567.8", "93.4%", "4,380 h", "1,234,567.8", "93.4%", "4,380 h"},
		{i18n.Portuguese, "1.234.567,8", "93,4%", "4.380 h", "1.234.567,8", "93,4%", "4.380 h"},
	} {
		t.Run(string(tc.lang), func(t *testing.T) {
			sms, page := i18n.New(tc.lang), i18n.New(tc.lang).Typeset()
			for _, c := range []struct{ got, want string }{
				{sms.Num(1234567.8, 1), tc.num}, {sms.Pct(93.44, 1), tc.pct}, {sms.Hours(4380), tc.hours},
				{page.Num(1234567.8, 1), tc.pageNum}, {page.Pct(93.44, 1), tc.pagePct}, {page.Hours(4380), tc.page},
			} {
				if c.got != c.want {
					t.Errorf("got %q, want %q", c.got, c.want)
				}
			}
			text := sms.T("what.critical_purity", sms.Pct(78.24, 1)) + " " + sms.Hours(4380)
			if n := notify.Septets(text); n != utf8.RuneCountInString(text) || strings.ContainsAny(text, "\u00a0\u202f") {
				t.Errorf("SMS text %q: %d septets for %d characters, want one GSM-7 septet each and no no-break space", text, n, utf8.RuneCountInString(text))
			}
		})
	}
	p := i18n.New(i18n.French)
	if _ = p.Typeset(); p.Num(4380, 0) != "4 380" {
		t.Errorf("Typeset changed the printer it was made from: Num(4380) = %q", p.Num(4380, 0))
	}
}

// TestDashboardPercentSign: the French dashboard texts set "%" apart from
// its number with U+202F, as the dashboard's numbers (Intl, fr-FR) group
// thousands; never a plain space or U+00A0.
func TestDashboardPercentSign(t *testing.T) {
	n := 0
	for id, text := range i18n.Web(i18n.French) {
		r := []rune(text)
		for i := 1; i < len(r); i++ {
			if r[i] != '%' || !strings.ContainsRune(" \u00a0\u202f", r[i-1]) {
				continue
			}
			n++
			if r[i-1] != '\u202f' {
				t.Errorf("%s: %q before %% in %q, want U+202F", id, r[i-1], text)
			}
		}
	}
	if n < 10 {
		t.Fatalf("found only %d percent signs after a space in the French dashboard texts; is the test still looking at them?", n)
	}
}
