package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/report/dhis2"
)

const fixtureMapping = `
data_set: pBOMPrpg1QX
data_elements:
  uptime_pct: {data_element: fbfJHSPpUQD, category_option_combo: HllvX50cXC0}
  down_h: {data_element: eY5ehpbEsB7}
  oxygen_m3: {data_element: cYeuwXTCPkU}
  demand_lpm: {data_element: Jtf34kNZhzP}
org_units:
  jinja: DiszpKrYNg8
  gulu: O6uvpzGd5pu
`

func cliDeps(t *testing.T) Sources {
	cfg := config.Defaults().Report
	cfg.TimeZone = "Africa/Kampala"
	cfg.TimelineBatch = 3
	cfg.OutageListMin = 0
	cfg.DHIS2.MappingFile = filepath.Join(t.TempDir(), "dhis2.yaml")
	if err := os.WriteFile(cfg.DHIS2.MappingFile, []byte(fixtureMapping), 0o644); err != nil {
		t.Fatal(err)
	}
	return Sources{
		Config: cfg, Registry: fixtureRegistry(), Timelines: fixtureTimelines(), Production: fixtureProduction{},
		Maintenance: func(context.Context) ([]MaintenanceDue, error) { return fixtureDue(), nil },
		Now:         fixedNow(fixtureNow),
	}
}

// runCLI runs the tool as `oxywatch report ARGS…` asks for it (the
// command line itself, flags and help, is cmd/oxywatch's and tested there),
// with notices in English on stderr.
func runCLI(t *testing.T, deps Sources, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	tool := NewTool(deps, func(m i18n.Message) { fmt.Fprintln(&e, m.In(i18n.English)) })
	var req Request
	var dreq DHIS2Request
	var outPath string
	flags := map[string]*string{"--from": &req.From, "--to": &req.To, "--month": &req.Month, "--group": &req.Group,
		"--region": &req.Regions, "--format": &req.Format, "--lang": &req.Lang, "--csv-headers": &req.CSVHeaders,
		"--title": &req.Title, "--period": &dreq.Period, "--mapping": &dreq.Mapping, "--out": &outPath}
	for i := 1; i < len(args); i++ {
		if args[i] == "--push" {
			dreq.Push = true
			continue
		}
		p, ok := flags[args[i]]
		if !ok || i+1 == len(args) {
			t.Fatalf("runCLI: flag %q", args[i])
		}
		*p, i = args[i+1], i+1
	}
	var out Output
	switch args[0] {
	case "uptime":
		out, err = tool.Uptime(context.Background(), req)
	case "supply":
		out, err = tool.Supply(context.Background(), req)
	case "monthly":
		out, err = tool.Monthly(context.Background(), req)
	case "repairs":
		out, err = tool.Repairs(context.Background(), req)
	case "dhis2":
		out, err = tool.DHIS2(context.Background(), dreq)
	default:
		t.Fatalf("runCLI: command %q", args[0])
	}
	if out != nil {
		w := io.Writer(&o)
		if outPath != "" {
			f, ferr := os.Create(outPath)
			if ferr != nil {
				t.Fatal(ferr)
			}
			defer f.Close()
			w = f
		}
		if werr := out(w); err == nil {
			err = werr
		}
	}
	return o.String(), e.String(), err
}

func TestCLIUptimeCSV(t *testing.T) {
	out, errOut, err := runCLI(t, cliDeps(t), "uptime", "--from", "2026-11-01", "--to", "2026-12-01", "--group", "region", "--format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile("testdata/uptime-region.csv")
	if out != string(want) {
		t.Errorf("got\n%s\nwant (the golden file)\n%s", out, want)
	}
	// 12 devices in batches of 3: a progress line per batch
	if errOut != "report: 3/12 devices\nreport: 6/12 devices\nreport: 9/12 devices\nreport: 12/12 devices\n" {
		t.Errorf("progress: got %q", errOut)
	}
}

func TestCLIFormats(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"uptime", "--month", "2026-11"}, `"time_zone": "Africa/Kampala"`},
		{[]string{"uptime", "--month", "2026-11", "--format", "html", "--group", "device"}, "<svg"},
		{[]string{"supply", "--month", "2026-11", "--format", "csv", "--group", "region"}, "region,Western,,Western,UG,3,15,0,0,0,0,240,"},
		{[]string{"supply"}, `"produced_m3"`}, // previous month by default
		{[]string{"monthly", "--title", "Test ministry"}, "Test ministry"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, _, err := runCLI(t, cliDeps(t), tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("output lacks %q:\n%.600s", tc.want, out)
			}
		})
	}
	path := filepath.Join(dir, "r.html")
	if _, _, err := runCLI(t, cliDeps(t), "monthly", "--month", "2026-11", "--out", path); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); !bytes.Contains(b, []byte("Maintenance due")) {
		t.Error("monthly --out wrote no maintenance list")
	}
}

// TestCLIRegion: --region limits every command's figures, and the monthly
// report's maintenance list, to the regions named.
func TestCLIRegion(t *testing.T) {
	for _, args := range [][]string{
		{"uptime", "--month", "2026-11", "--group", "device", "--region", "Eastern"},
		{"supply", "--month", "2026-11", "--format", "html", "--region", "Eastern"},
		{"monthly", "--month", "2026-11", "--region", "Eastern"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, _, err := runCLI(t, cliDeps(t), args...)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.ToLower(out), "jinja") {
				t.Errorf("output lacks the Eastern region's facility:\n%.600s", out)
			}
			noneOf(t, out, []string{"Central", "mulago", "Mulago", "Northern", "gulu", "Gulu"})
		})
	}
}

func TestCLIUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"uptime", "--group", "district"},
		{"uptime", "--format", "xml"},
		{"uptime", "--from", "2026-11-01"},
		{"uptime", "--from", "2026-12-01", "--to", "2026-11-01"},
		{"uptime", "--month", "2026-11", "--from", "2026-11-01"},
		{"dhis2", "--period", "2026-11"},
	} {
		_, _, err := runCLI(t, cliDeps(t), args...)
		if !errors.Is(err, ErrUsage) {
			t.Errorf("%q: got %v, want a usage error", args, err)
		}
	}
}

func TestCLIDHIS2Payload(t *testing.T) {
	out, errOut, err := runCLI(t, cliDeps(t), "dhis2", "--period", "202611")
	if err != nil {
		t.Fatal(err)
	}
	var set dhis2.DataValueSet
	if err := json.Unmarshal([]byte(out), &set); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range set.DataValues {
		got[v.OrgUnit+"/"+v.DataElement] = v.Value
	}
	want := map[string]string{
		// Mulago takes its org unit from the registry
		"ImspTQPwCqd/fbfJHSPpUQD": "78.01", "ImspTQPwCqd/eY5ehpbEsB7": "7.5", "ImspTQPwCqd/cYeuwXTCPkU": "7716", "ImspTQPwCqd/Jtf34kNZhzP": "400",
		"DiszpKrYNg8/fbfJHSPpUQD": "80.67", "DiszpKrYNg8/eY5ehpbEsB7": "234.67", "DiszpKrYNg8/cYeuwXTCPkU": "2400", "DiszpKrYNg8/Jtf34kNZhzP": "300",
		"O6uvpzGd5pu/fbfJHSPpUQD": "99.16", "O6uvpzGd5pu/eY5ehpbEsB7": "6", "O6uvpzGd5pu/cYeuwXTCPkU": "2700", "O6uvpzGd5pu/Jtf34kNZhzP": "500",
	}
	if len(got) != len(want) || set.Period != "202611" || set.DataSet != "pBOMPrpg1QX" {
		t.Errorf("got %d values, period %s, data set %s:\n%v", len(got), set.Period, set.DataSet, got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
	// Kabale has demand but no org unit anywhere: skipped, and said so
	if !strings.Contains(errOut, `skipped demand_lpm of facility "kabale"`) {
		t.Errorf("stderr: %q", errOut)
	}
}

// dhis2Server answers POST /api/dataValueSets like DHIS2 2.40, refusing
// values for the org units in refuse.
func dhis2Server(t *testing.T, refuse string) (*httptest.Server, *dhis2.DataValueSet) {
	var got dhis2.DataValueSet
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/dataValueSets" || r.Header.Get("Authorization") != "ApiToken d2pat_test" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("payload: %v", err)
		}
		var conflicts []map[string]string
		for _, v := range got.DataValues {
			if v.OrgUnit == refuse {
				conflicts = append(conflicts, map[string]string{"object": v.OrgUnit, "value": "Organisation unit not found or not accessible", "errorCode": "E7617"})
			}
		}
		status, code := "SUCCESS", http.StatusOK
		if len(conflicts) > 0 {
			status, code = "WARNING", http.StatusConflict
		}
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]any{
			"httpStatus": http.StatusText(code), "httpStatusCode": code, "status": status,
			"response": map[string]any{
				"responseType": "ImportSummary", "status": status,
				"importCount": map[string]int{"imported": len(got.DataValues) - len(conflicts), "updated": 0, "ignored": len(conflicts), "deleted": 0},
				"conflicts":   conflicts,
			},
		})
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func TestCLIDHIS2Push(t *testing.T) {
	t.Run("imported", func(t *testing.T) {
		srv, got := dhis2Server(t, "")
		deps := cliDeps(t)
		deps.Config.DHIS2.URL, deps.Config.DHIS2.Token, deps.HTTPClient = srv.URL, "d2pat_test", srv.Client()
		out, _, err := runCLI(t, deps, "dhis2", "--period", "202611", "--push")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "DHIS2 import of 202611: SUCCESS: imported 12") || len(got.DataValues) != 12 {
			t.Errorf("got %q and %d values", out, len(got.DataValues))
		}
	})
	t.Run("conflict", func(t *testing.T) {
		srv, _ := dhis2Server(t, "O6uvpzGd5pu")
		deps := cliDeps(t)
		deps.Config.DHIS2.URL, deps.Config.DHIS2.Token, deps.HTTPClient = srv.URL, "d2pat_test", srv.Client()
		out, _, err := runCLI(t, deps, "dhis2", "--period", "202611", "--push")
		var ie *dhis2.ImportError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "O6uvpzGd5pu: Organisation unit not found") {
			t.Fatalf("got %v, want an import error naming the conflict", err)
		}
		if !strings.Contains(out, "ignored 4") || !strings.Contains(out, "conflict: O6uvpzGd5pu") {
			t.Errorf("summary not shown: %q", out)
		}
	})
	t.Run("no server", func(t *testing.T) {
		if _, _, err := runCLI(t, cliDeps(t), "dhis2", "--push"); err == nil || !strings.Contains(err.Error(), "report.dhis2.url") {
			t.Errorf("got %v", err)
		}
	})
}

// TestCLIRefusesEmptyRegistry (issue 17): a data dir with no devices is
// most likely the wrong one; say so and fail instead of printing a report
// of 0 devices.
func TestCLIRefusesEmptyRegistry(t *testing.T) {
	deps := cliDeps(t)
	deps.Registry = &fakeRegistry{}
	deps.DataDir = "/srv/elsewhere"
	for _, cmd := range []string{"uptime", "supply", "monthly"} {
		out, _, err := runCLI(t, deps, cmd, "--month", "2026-11")
		if !errors.Is(err, ErrEmptyRegistry) || !strings.Contains(err.Error(), "/srv/elsewhere") || !strings.Contains(err.Error(), "OXYWATCH_DATA_DIR") {
			t.Errorf("%s: got %v, want ErrEmptyRegistry naming the data dir and what to do", cmd, err)
		}
		if out != "" {
			t.Errorf("%s printed a report: %.80q", cmd, out)
		}
	}
}

// TestCLIWithoutInfluxDB (issue 17): uptime and the monthly report do not
// need production figures; the monthly report says why its supply section is
// missing, and supply says what still works.
func TestCLIWithoutInfluxDB(t *testing.T) {
	deps := cliDeps(t)
	deps.ProductionFrom = i18n.Msg("cli.report.influx_at", "http://127.0.0.1:8086")
	deps.Production = ProductionFunc(func(context.Context, ProductionQuery) (map[plant.DeviceID]Production, error) {
		return nil, errors.New("dial tcp 127.0.0.1:8086: connect: connection refused")
	})
	out, errOut, err := runCLI(t, deps, "monthly", "--month", "2026-11")
	if err != nil {
		t.Fatalf("monthly: %v", err)
	}
	if !strings.Contains(errOut, "warning: InfluxDB at http://127.0.0.1:8086: production figures unavailable") {
		t.Errorf("monthly: stderr %q, want a warning naming InfluxDB", errOut)
	}
	if !strings.Contains(out, "Production figures are not in this report") || !strings.Contains(out, "Uptime by region") {
		t.Errorf("monthly: the page lacks the uptime sections or the reason supply is missing")
	}
	// The reason, in the page's words (issue 18).
	for lang, want := range map[string]string{
		"en": "Production figures are not in this report: InfluxDB at http://127.0.0.1:8086: production figures unavailable: the time-series store (InfluxDB) could not be read (dial tcp",
		"fr": "Les chiffres de production ne figurent pas dans ce rapport\u00a0: InfluxDB à http://127.0.0.1:8086\u00a0: chiffres de production indisponibles\u00a0: la base de séries temporelles (InfluxDB) n’a pas pu être lue (dial tcp",
		"pt": "Os números de produção não estão neste relatório: InfluxDB em http://127.0.0.1:8086: números de produção indisponíveis: a base de séries temporais (InfluxDB) não pôde ser lida (dial tcp",
	} {
		page, _, err := runCLI(t, deps, "monthly", "--month", "2026-11", "--lang", lang)
		if err != nil || !strings.Contains(html.UnescapeString(page), want) {
			t.Errorf("monthly --lang %s: %v; the banner does not say %q", lang, err, want)
		}
	}
	if _, _, err := runCLI(t, deps, "uptime", "--month", "2026-11"); err != nil {
		t.Errorf("uptime: %v", err)
	}
	_, _, err = runCLI(t, deps, "supply", "--month", "2026-11")
	if !errors.Is(err, ErrNoProduction) || !strings.Contains(err.Error(), "InfluxDB at http://127.0.0.1:8086") || !strings.Contains(err.Error(), "uptime") {
		t.Errorf("supply: got %v, want ErrNoProduction naming InfluxDB and what works without it", err)
	}
}

// TestCLIMonthInProgress (issue 17): a month not yet ended is reported with a
// warning and a provisional banner; DHIS2 takes complete months only.
func TestCLIMonthInProgress(t *testing.T) {
	deps := cliDeps(t)
	out, errOut, err := runCLI(t, deps, "monthly", "--month", "2026-12")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut, "warning: December 2026 has not ended") || !strings.Contains(out, "Provisional.") {
		t.Errorf("stderr %q; want a warning, and a provisional banner on the page", errOut)
	}
	if _, errOut, _ = runCLI(t, deps, "uptime", "--month", "2026-11"); strings.Contains(errOut, "warning") {
		t.Errorf("a finished month warned: %q", errOut)
	}
	if _, _, err := runCLI(t, deps, "dhis2", "--period", "202612"); !errors.Is(err, ErrUsage) {
		t.Errorf("dhis2 of an unfinished month: got %v, want ErrUsage", err)
	}
}

// TestCLILang: --lang writes HTML reports in French or Portuguese; the
// deployment's language (notify.language) is the default; CSV headers stay
// machine names; an unknown language is a usage error.
func TestCLILang(t *testing.T) {
	fr := cliDeps(t)
	fr.Language = "fr"
	for _, tc := range []struct {
		deps Sources
		args []string
		want []string
	}{
		{cliDeps(t), []string{"monthly", "--month", "2026-11", "--lang", "fr"}, []string{`<html lang="fr">`, "Programme national de l’oxygène", "novembre 2026", "Synthèse"}},
		{cliDeps(t), []string{"monthly", "--month", "2026-11", "--lang", "pt-MZ"}, []string{`<html lang="pt">`, "Programa Nacional de Oxigénio", "novembro de 2026"}},
		{fr, []string{"monthly", "--month", "2026-11"}, []string{`<html lang="fr">`, "Synthèse"}},
		{fr, []string{"monthly", "--month", "2026-11", "--lang", "en"}, []string{`<html lang="en">`, "Summary"}},
		{cliDeps(t), []string{"uptime", "--month", "2026-11", "--format", "html", "--lang", "fr"}, []string{"OxyWatch – rapport de disponibilité", "Disponibilité par établissement"}},
		{cliDeps(t), []string{"supply", "--month", "2026-11", "--format", "html", "--lang", "pt"}, []string{"Fornecimento de oxigénio por unidade sanitária"}},
		{fr, []string{"uptime", "--month", "2026-11", "--format", "csv", "--group", "region"}, []string{"key,name,"}},
		{fr, []string{"uptime", "--month", "2026-11", "--format", "csv", "--group", "region", "--csv-headers", "human"},
			[]string{"regroupement;clé;nom;établissement;région;pays;appareils;heures de la période;", "disponibilité %", "coupure du secteur="}},
		{cliDeps(t), []string{"supply", "--month", "2026-11", "--format", "csv", "--csv-headers", "human", "--lang", "pt"},
			[]string{"capacidade nominal (L/min);capacidade disponível (L/min);oxigénio produzido (m³)"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, _, err := runCLI(t, tc.deps, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%.400s", w, out)
				}
			}
		})
	}
	if _, _, err := runCLI(t, cliDeps(t), "uptime", "--format", "csv", "--csv-headers", "pretty"); !errors.Is(err, ErrUsage) {
		t.Errorf("--csv-headers pretty: got %v, want a usage error", err)
	}
	if _, _, err := runCLI(t, cliDeps(t), "monthly", "--lang", "sw"); !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "en, fr, pt") {
		t.Errorf("--lang sw: got %v, want a usage error naming en, fr, pt", err)
	}
}

// TestHumanCSVDecimalSeparator (issue 18): a CSV with human headers writes
// numbers as its reader does (93,4 in French and Portuguese, with ';'
// between cells as their spreadsheets expect); machine CSV stays 93.4 and ','.
func TestHumanCSVDecimalSeparator(t *testing.T) {
	rows := func(args ...string) [][]string {
		out, _, err := runCLI(t, cliDeps(t), args...)
		if err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(strings.NewReader(out))
		if strings.Contains(strings.SplitN(out, "\n", 2)[0], ";") {
			r.Comma = ';'
		}
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("%v in\n%s", err, out)
		}
		return recs
	}
	base := []string{"uptime", "--month", "2026-11", "--format", "csv", "--group", "region"}
	machine := rows(base...)
	for _, lang := range []string{"fr", "pt", "en"} {
		human := rows(append(base, "--csv-headers", "human", "--lang", lang)...)
		if len(human) != len(machine) || len(human[1]) != len(machine[1]) {
			t.Fatalf("%s: %d rows of %d cells, want %d of %d", lang, len(human), len(human[1]), len(machine), len(machine[1]))
		}
		decimals := 0
		for i := 1; i < len(machine); i++ {
			for j, m := range machine[i] {
				want := m
				if _, err := strconv.ParseFloat(m, 64); err == nil && lang != "en" {
					want = strings.Replace(m, ".", ",", 1)
				}
				if j == 20 { // top_causes: words in the language, hours as numbers
					continue
				}
				if human[i][j] != want {
					t.Errorf("%s row %d %s: got %q, want %q", lang, i, machine[0][j], human[i][j], want)
				}
				if strings.Contains(want, ",") {
					decimals++
				}
			}
		}
		if lang != "en" && decimals == 0 {
			t.Errorf("%s: no number with decimals to check", lang)
		}
	}
	if got := machine[1][13]; machine[0][13] != "uptime_pct" || !strings.Contains(got, ".") {
		t.Errorf("machine CSV uptime_pct %q: want a decimal point", got)
	}
}
