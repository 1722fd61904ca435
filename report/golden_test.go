package report

import (
	"bytes"
	"context"
	"flag"
	"html/template"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/oxywatch/oxywatch/internal/i18n"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -run Golden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", name, got)
	}
}

func TestGoldenUptimeCSV(t *testing.T) {
	for _, g := range []Group{GroupDevice, GroupFacility, GroupRegion} {
		t.Run(string(g), func(t *testing.T) {
			rep, err := fixtureReporter().Uptime(context.Background(), Query{Period: fixturePeriod(), Group: g})
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := WriteUptimeCSV(&b, rep); err != nil {
				t.Fatal(err)
			}
			golden(t, "uptime-"+string(g)+".csv", b.Bytes())
		})
	}
}

func TestGoldenSupplyCSV(t *testing.T) {
	rep, err := fixtureReporter().Supply(context.Background(), Query{Period: fixturePeriod(), Group: GroupFacility})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteSupplyCSV(&b, rep); err != nil {
		t.Fatal(err)
	}
	golden(t, "supply-facility.csv", b.Bytes())
}

func TestGoldenMonthlyHTML(t *testing.T) {
	r := fixtureReporter()
	f, err := r.Fleet(context.Background(), fixturePeriod(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadProduction(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := MonthlyPage("Uganda Ministry of Health – National Oxygen Programme", f, fixtureDue()).WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, banned := range []string{"http://", "https://", "@import", "<script"} {
		if strings.Contains(html, banned) {
			t.Errorf("the report must be self-contained, but holds %q", banned)
		}
	}
	golden(t, "monthly.html", b.Bytes())
}

// TestGoldenReportHTML renders the API's HTML forms: the uptime report by
// facility and the supply report by facility.
func TestGoldenReportHTML(t *testing.T) {
	ctx := context.Background()
	q := Query{Period: fixturePeriod(), Group: GroupFacility}
	up, err := fixtureReporter().Uptime(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	sup, err := fixtureReporter().Supply(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	for name, rep := range map[string]writer{"uptime-facility.html": up, "supply-facility.html": sup} {
		var b bytes.Buffer
		if err := rep.WriteHTML(&b); err != nil {
			t.Fatal(err)
		}
		golden(t, name, b.Bytes())
	}
}

// TestGoldenMonthlyHTMLInEveryLanguage: the monthly report in French and
// Portuguese, from the same deterministic fleet as monthly.html: every
// heading, column, note, cause, month name and figure in the reader's
// words and convention, and no English sentence of the catalogue left.
func TestGoldenMonthlyHTMLInEveryLanguage(t *testing.T) {
	for _, tc := range []struct {
		lang  i18n.Lang
		title string
		want  []string
	}{
		{i18n.French, "Ministère de la Santé – Programme national de l’oxygène", []string{
			`<html lang="fr">`, "<b>novembre 2026</b>", "du 01/11/2026 au 30/11/2026 inclus", "Synthèse", "Disponibilité par région",
			"Arrêts", "Entretiens à faire ou en retard", "coupure du secteur", "\u202f%", "éléments filtrants",
		}},
		{i18n.Portuguese, "Ministério da Saúde – Programa Nacional de Oxigénio", []string{
			`<html lang="pt">`, "<b>novembro de 2026</b>", "de 01/11/2026 a 30/11/2026 inclusive", "Resumo", "Disponibilidade por região",
			"Paragens", "Manutenção a fazer ou em atraso", "falta de energia da rede", "%", "elementos filtrantes",
		}},
	} {
		t.Run(string(tc.lang), func(t *testing.T) {
			html := monthlyIn(t, tc.lang, tc.title)
			for _, w := range tc.want {
				if !strings.Contains(html, w) {
					t.Errorf("the %s report lacks %q", tc.lang, w)
				}
			}
			if regexp.MustCompile(`<td class="n">\d+\.\d %</td>`).MatchString(html) {
				t.Errorf("the %s report has a percentage with a decimal point", tc.lang)
			}
			noEnglishLeft(t, tc.lang, html)
			golden(t, "monthly."+string(tc.lang)+".html", []byte(html))
		})
	}
}

// noEnglishLeft fails for each English sentence of the report catalogue
// that a report in l still shows: the words a reader sees (no style sheet,
// no tags, whose class names are English codes).
func noEnglishLeft(t *testing.T, l i18n.Lang, html string) {
	t.Helper()
	text := regexp.MustCompile(`(?s)<style>.*</style>|<[^>]*>`).ReplaceAllString(html, " ")
	en, tr := i18n.New(i18n.English), i18n.New(l)
	for _, k := range i18n.Keys("report.") {
		e := en.T(k)
		if len(e) > 6 && !strings.Contains(e, "%") && e != tr.T(k) && strings.Contains(text, template.HTMLEscapeString(e)) {
			t.Errorf("the %s report holds the English %q (%s)", l, e, k)
		}
	}
}

func monthlyIn(t *testing.T, l i18n.Lang, title string) string {
	t.Helper()
	r := fixtureReporter()
	f, err := r.Fleet(context.Background(), fixturePeriod(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadProduction(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	page := MonthlyPage(title, f, fixtureDue())
	page.Lang = l
	var b bytes.Buffer
	if err := page.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
