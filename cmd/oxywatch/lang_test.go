package main

import (
	"context"
	"errors"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/alerting"
	"github.com/oxywatch/oxywatch/internal/app"
	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/*.golden")

// inLocale sets the environment a terminal in locale has, with no
// OXYWATCH_LANG and no configuration file.
func inLocale(t *testing.T, locale string) {
	// Other OXYWATCH_ variables of the test run (make test sets
	// OXYWATCH_SCREENSHOT_DIR) would add config warnings to the output.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "OXYWATCH_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	t.Setenv("OXYWATCH_LANG", "")
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_MESSAGES", "")
	t.Setenv("LANG", locale)
	t.Setenv("OXYWATCH_CONFIG", "")
}

// golden compares got with testdata/name, after dir is replaced by DIR.
func golden(t *testing.T, name, got, dir string) {
	t.Helper()
	got = strings.ReplaceAll(got, dir, "DIR")
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/oxywatch -run %s -update-golden)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("got\n%s\nwant (%s)\n%s", got, path, want)
	}
}

// TestCheckConfigInFrench (issue 18): with LANG=fr_FR.UTF-8, check-config
// says what is wrong in French, each bad key named as it is typed.
func TestCheckConfigInFrench(t *testing.T) {
	inLocale(t, "fr_FR.UTF-8")
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yaml", "data_dir: "+dir+"\nlog_level: loud\nhttp:\n  addr: localhost\ninflux:\n  url: ftp://influx\n  batch_size: 0\n")
	_, _, err := runCmd(t, "check-config", bad)
	if err == nil {
		t.Fatal("a bad configuration passed")
	}
	golden(t, "check-config-fr.golden", "oxywatch: "+err.Error()+"\n", dir)

	// Keys the file misspells, and values of the wrong type, with file and line.
	typos := writeFile(t, dir, "typos.yaml", "data_dir: "+dir+"\nhttp:\n  adress: 127.0.0.1:8080\ninflux:\n  batch_size: many\n")
	_, _, err = runCmd(t, "check-config", typos)
	if err == nil {
		t.Fatal("a file with typos passed")
	}
	golden(t, "check-config-typos-fr.golden", "oxywatch: "+err.Error()+"\n", dir)

	good := writeFile(t, dir, "good.yaml", "data_dir: "+dir+"\n")
	if out, _, err := runCmd(t, "check-config", good); err != nil || out != good+"\u00a0: la configuration est valide\n" {
		t.Errorf("good file: %v %q", err, out)
	}
}

// TestCLILanguageChoice: OXYWATCH_LANG, then LC_ALL / LC_MESSAGES / LANG,
// then the configuration's notify.language, then English.
func TestCLILanguageChoice(t *testing.T) {
	dir := t.TempDir()
	pt := writeFile(t, dir, "pt.yaml", "data_dir: "+dir+"\nnotify:\n  language: pt\n")
	for _, tc := range []struct {
		name, oxywatchLang, lcAll, lang, file, want string
	}{
		{"OXYWATCH_LANG first", "pt", "fr_FR.UTF-8", "fr_FR.UTF-8", "", "a configuração é válida"},
		{"LC_ALL before LANG", "", "fr_CA.UTF-8", "pt_BR.UTF-8", "", "la configuration est valide"},
		{"LANG", "", "", "pt_MZ.UTF-8", "", "a configuração é válida"},
		{"C locale: English", "", "", "C.UTF-8", "", "configuration is valid"},
		{"C locale: the deployment's language", "", "", "C.UTF-8", pt, "a configuração é válida"},
		{"the environment over the deployment's", "", "", "fr_SN.UTF-8", pt, "la configuration est valide"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inLocale(t, tc.lang)
			t.Setenv("OXYWATCH_LANG", tc.oxywatchLang)
			t.Setenv("LC_ALL", tc.lcAll)
			file := tc.file
			if file == "" {
				file = writeFile(t, dir, "plain.yaml", "data_dir: "+dir+"\n")
			}
			out, _, err := runCmd(t, "check-config", file)
			if err != nil || !strings.Contains(out, tc.want) {
				t.Errorf("got %v %q, want %q", err, out, tc.want)
			}
		})
	}
	inLocale(t, "pt_PT.UTF-8")
	if _, errOut, err := runCmd(t, "bogus"); err == nil || err.Error() != `comando desconhecido "bogus"` || !strings.Contains(errOut, "Utilização:") {
		t.Errorf("unknown command in Portuguese: %v, usage %.60q", err, errOut)
	}
}

// TestReportWarningInFrench (issue 18): a report of a period not yet ended
// warns on stderr, in French with LANG=fr_FR.UTF-8.
func TestReportWarningInFrench(t *testing.T) {
	inLocale(t, "fr_FR.UTF-8")
	dir := t.TempDir()
	t.Setenv("OXYWATCH_DATA_DIR", dir)
	registerDevice(t, dir)
	today := time.Now().UTC().Format(time.DateOnly)
	later := time.Now().UTC().AddDate(0, 0, 2).Format(time.DateOnly)
	out, errOut, err := runCmd(t, "report", "uptime", "--from", today, "--to", later, "--format", "csv")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if !strings.HasPrefix(out, "group,key,name,") {
		t.Errorf("the CSV report: %.200q", out)
	}
	dates := regexp.MustCompile(`\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?|\d{2}/\d{2}/\d{4}`)
	golden(t, "report-warning-fr.golden", dates.ReplaceAllString(errOut, "DATE"), dir)

	// An error of the report tool, in French too.
	_, _, err = runCmd(t, "report", "uptime", "--month", "2026-13")
	if err == nil || err.Error() != `--month "2026-13" n’est pas un mois comme 2026-11` {
		t.Errorf("bad month: got %v", err)
	}
}

// registerDevice makes dir a server's data dir with one device and the
// alerting tables.
func registerDevice(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenSQLite(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg, err := store.OpenRegistry(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Put(ctx, plant.Device{ID: "conc-1", Kind: plant.KindConcentrator, Facility: "thies", Region: "Thiès", Country: "SN"}); err != nil {
		t.Fatal(err)
	}
	eng, err := alerting.New(ctx, alerting.Options{DB: db, Registerer: prometheus.NewRegistry(), Lookup: reg.Device})
	if err != nil {
		t.Fatal(err)
	}
	_ = eng
}

// TestNoWordsOutsideTheCatalogue fails when cmd/oxywatch prints, returns or
// documents (a flag's usage) a string literal meant for a person instead of
// a catalogue message: each word must be said in the reader's language.
func TestNoWordsOutsideTheCatalogue(t *testing.T) {
	prints := map[string]int{ // function → index of the first argument that is text
		"Fprint": 1, "Fprintf": 1, "Fprintln": 1, "Print": 0, "Printf": 0, "Println": 0, "WriteString": 1,
		"New": 0, "Errorf": 0, // errors.New, fmt.Errorf
		"String": 2, "Bool": 2, "Int": 2, "Duration": 2, "StringVar": 3, "BoolVar": 3, "IntVar": 3, // flag usage
	}
	allowed := map[string]bool{"oxywatch": true, "oxywatch: ": true} // the program's name
	words := regexp.MustCompile(`[A-Za-z]{2,}`)
	keyLike := regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)+$`)
	keys := map[string]bool{}
	for _, k := range i18n.Keys("") {
		keys[k] = true
	}
	names, _ := filepath.Glob("*.go")
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			from, ok := prints[sel.Sel.Name]
			if !ok {
				return true
			}
			for _, a := range call.Args[min(from, len(call.Args)):] {
				ast.Inspect(a, func(n ast.Node) bool {
					lit, ok := n.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						return true
					}
					s, _ := strconv.Unquote(lit.Value)
					if keyLike.MatchString(s) {
						if !keys[s] {
							t.Errorf("%s: %q is not a key of the catalogue", fset.Position(lit.Pos()), s)
						}
						return true
					}
					if words.MatchString(s) && !allowed[s] {
						t.Errorf("%s: %s prints %q: give it a key in internal/i18n/cli_*.go", fset.Position(lit.Pos()), sel.Sel.Name, s)
					}
					return true
				})
			}
			return true
		})
	}
}

// TestReportCommandsFlags: each report command's flags reach the tool
// (monthly --format csv, repairs, an unknown --format refused as a usage
// error), on a real data dir.
func TestReportCommandsFlags(t *testing.T) {
	inLocale(t, "C.UTF-8")
	dir := t.TempDir()
	t.Setenv("OXYWATCH_DATA_DIR", dir)
	t.Setenv("OXYWATCH_INFLUX_URL", "http://127.0.0.1:1") // nothing answers
	registerDevice(t, dir)
	out, errOut, err := runCmd(t, "report", "monthly", "--month", "2026-11", "--format", "csv")
	if err != nil || !strings.HasPrefix(out, "group,key,") || !strings.Contains(out, "\ntotal,total,") {
		t.Errorf("monthly csv: %v\n%s\n%s", err, out, errOut)
	}
	if _, _, err := runCmd(t, "report", "monthly", "--month", "2026-11", "--format", "pdf"); !errors.Is(err, app.ErrReportUsage) {
		t.Errorf("monthly --format pdf: %v, want a usage error", err)
	}
	if _, _, err := runCmd(t, "report", "uptime", "--month", "2026-11", "--bogus"); !errors.Is(err, app.ErrReportUsage) || !strings.Contains(err.Error(), "see --help") {
		t.Errorf("uptime --bogus: %v, want a usage error", err)
	}
	path := filepath.Join(dir, "u.json")
	if _, errOut, err := runCmd(t, "report", "uptime", "--month", "2026-11", "--out", path); err != nil || !strings.Contains(errOut, "report: wrote "+path) {
		t.Errorf("uptime --out: %v %q", err, errOut)
	}
	if _, err := os.Stat(path); err != nil {
		t.Error(err)
	}
}
