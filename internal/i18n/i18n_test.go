package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// families are keys built from a domain code: family + "." + code.
var families = []string{"rule", "what", "status", "kind.short", "kind", "component", "state", "power", "severity", "alert_state", "use", "point"}

func family(k Key) (fam, code string) {
	for _, f := range families {
		if c, ok := strings.CutPrefix(string(k), f+"."); ok {
			return f, c
		}
	}
	return "", ""
}

var verb = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*[0-9.*]*[a-zA-Z%]`)

func verbs(s string) []string {
	v := verb.FindAllString(s, -1)
	slices.Sort(v)
	return v
}

// placeholder finds the {name} a dashboard text leaves to the browser.
var placeholder = regexp.MustCompile(`\{\w+\}`)

func placeholders(s string) []string {
	p := placeholder.FindAllString(s, -1)
	slices.Sort(p)
	return p
}

func TestEveryKeyInEveryLanguage(t *testing.T) {
	en := catalogue[English]
	for _, l := range Langs[1:] {
		for k := range en {
			if _, ok := catalogue[l][k]; !ok {
				t.Errorf("%s: key %q missing", l, k)
			}
		}
		for k := range catalogue[l] {
			if _, ok := en[k]; !ok {
				t.Errorf("%s: key %q is not in English", l, k)
			}
		}
	}
	for _, l := range Langs {
		for k, m := range catalogue[l] {
			if strings.HasPrefix(string(k), webPrefix) {
				if got, want := placeholders(m.other), placeholders(en[k].other); !slices.Equal(got, want) {
					t.Errorf("%s %q: got placeholders %v, want %v as in English", l, k, got, want)
				}
				if strings.TrimSpace(m.other) == "" && k != "web.told.event.firing" {
					t.Errorf("%s %q is empty", l, k)
				}
				continue
			}
			want := verbs(en[k].other)
			if got := verbs(m.other); !slices.Equal(got, want) {
				t.Errorf("%s %q: got verbs %v, want %v as in English", l, k, got, want)
			}
			if m.one != "" && !slices.Equal(verbs(m.one), want) {
				t.Errorf("%s %q (one): got verbs %v, want %v", l, k, verbs(m.one), want)
			}
			if strings.TrimSpace(m.other) == "" && !strings.HasPrefix(string(k), "kind.short.") {
				t.Errorf("%s %q is empty", l, k)
			}
		}
	}
}

// TestEveryCodeHasAName: each code of the domain has a name in every family
// it belongs to, and every family key names a code that exists.
func TestEveryCodeHasAName(t *testing.T) {
	codes := domainCodes(t)
	for fam, cs := range codes {
		for _, c := range cs {
			for _, l := range Langs {
				if _, ok := catalogue[l][Key(fam+"."+c)]; !ok {
					t.Errorf("%s: no name for %s %q", l, fam, c)
				}
			}
		}
	}
	for k := range catalogue[English] {
		fam, c := family(k)
		if fam != "" && !slices.Contains(codes[fam], c) {
			t.Errorf("key %q: %q is not a %s code in the source (unused key)", k, c, fam)
		}
	}
}

// TestEveryKeyUsed: each key outside the code families is written as a
// string literal somewhere in the module's non-test Go code or templates
// (.tmpl), and every literal given to T exists.
func TestEveryKeyUsed(t *testing.T) {
	lits := map[string]bool{}
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".tmpl") {
			// Templates ask for keys as {{T "report.summary"}}.
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range regexp.MustCompile(`"([a-z0-9_.]+)"`).FindAllStringSubmatch(string(b), -1) {
				lits[m[1]] = true
			}
			return nil
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || filepath.Dir(path) == "." {
			return nil
		}
		if abs, _ := filepath.Abs(filepath.Dir(path)); abs == mustAbs(t, ".") {
			return nil // the catalogue itself
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if b, ok := n.(*ast.BasicLit); ok && b.Kind == token.STRING {
				if s, err := strconv.Unquote(b.Value); err == nil {
					lits[s] = true
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range slices.Sorted(maps.Keys(catalogue[English])) {
		if strings.HasPrefix(string(k), webPrefix) {
			continue // TestEveryWebKeyUsed
		}
		if strings.HasPrefix(string(k), "config.doc.") {
			continue // one per configuration key: cmd/oxywatch's TestConfigKeysDescribed
		}
		if fam, _ := family(k); fam == "" && !lits[string(k)] {
			t.Errorf("key %q is never used", k)
		}
	}
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// domainCodes reads the codes from their source: typed constants of
// internal/plant, the Rule constants and built-in components of alerting.
func domainCodes(t *testing.T) map[string][]string {
	byType := map[string][]string{}
	constsIn(t, filepath.Join("..", "plant"), func(typ, name, val string) { byType[typ] = append(byType[typ], val) })
	var rules []string
	constsIn(t, filepath.Join("..", "..", "alerting"), func(_, name, val string) {
		if strings.HasPrefix(name, "Rule") {
			rules = append(rules, val)
		}
	})
	src, err := os.ReadFile(filepath.Join("..", "..", "alerting", "compile.go"))
	if err != nil {
		t.Fatal(err)
	}
	comps := []string{"service_history"} // alerting/maint.go historyComp
	for _, m := range regexp.MustCompile(`\{name: "([a-z_]+)", hours: [0-9]+`).FindAllStringSubmatch(string(src), -1) {
		comps = append(comps, m[1])
	}
	if len(rules) < 10 || len(comps) < 8 || len(byType["Kind"]) < 5 {
		t.Fatalf("found too few codes: rules %v, components %v, kinds %v", rules, comps, byType["Kind"])
	}
	return map[string][]string{
		"rule": rules, "what": rules, "component": comps,
		"kind": byType["Kind"], "kind.short": byType["Kind"], "status": byType["Status"],
		"state": byType["State"], "power": byType["Power"], "severity": byType["Severity"],
		"alert_state": byType["AlertState"], "use": byType["Use"], "point": byType["Point"],
	}
}

// constsIn calls fn for each string constant of the package in dir.
func constsIn(t *testing.T, dir string, fn func(typ, name, val string)) {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, sp := range g.Specs {
				vs := sp.(*ast.ValueSpec)
				typ := ""
				if id, ok := vs.Type.(*ast.Ident); ok {
					typ = id.Name
				}
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						if b, ok := vs.Values[i].(*ast.BasicLit); ok && b.Kind == token.STRING {
							v, _ := strconv.Unquote(b.Value)
							fn(typ, n.Name, v)
						}
					}
				}
			}
		}
	}
}

func TestFormats(t *testing.T) {
	at := time.Date(2026, 3, 10, 2, 14, 0, 0, time.UTC)
	for _, tc := range []struct {
		lang                     Lang
		pct, num, date, head, mo string
	}{
		{English, "93.4%", "4,380", "10 Mar 2026", "Mulago 1 alert:", "+2 more."},
		{French, "93,4 %", "4 380", "10/03/2026", "Mulago 1 alerte\u00a0:", "+2 autres."},
		{Portuguese, "93,4%", "4.380", "10/03/2026", "Mulago 1 alerta:", "+2 outros."},
	} {
		t.Run(string(tc.lang), func(t *testing.T) {
			p := New(tc.lang)
			for _, c := range [][2]string{
				{p.Pct(93.44, 1), tc.pct}, {p.Num(4380, 0), tc.num}, {p.Date(at, time.UTC), tc.date},
				{p.T("sms.group_head", "Mulago", 1), tc.head}, {p.T("sms.more", 2), tc.mo},
			} {
				if c[0] != c[1] {
					t.Errorf("got %q, want %q", c[0], c[1])
				}
			}
		})
	}
	if got := New(French).Rule("critical_purity"); got != "pureté critique" {
		t.Errorf("got %q, want pureté critique", got)
	}
	if got := New(French).Rule("new_rule"); got != "new_rule" {
		t.Errorf("an unnamed code: got %q, want it as it is", got)
	}
}

// InputError says a rejection reason in the reader's words, as the
// dashboard does, without placeholders left for a browser to fill.
func TestInputError(t *testing.T) {
	for _, tc := range []struct {
		lang Lang
		code string
		want string
		ok   bool
	}{
		{French, "future_ts", "Heure du relevé dans le futur\u00a0: vérifiez l’horloge de l’appareil", true},
		{Portuguese, "not_json", "Não é JSON válido", true},
		{English, "out_of_range", "A value outside what the device can measure", true},
		{"de", "not_json", "Not valid JSON", true},
		{French, "no_such_reason", "", false},
		{French, "", "", false},
	} {
		if got, ok := InputError(tc.lang, tc.code); got != tc.want || ok != tc.ok {
			t.Errorf("InputError(%s, %q) = %q, %v; want %q, %v", tc.lang, tc.code, got, ok, tc.want, tc.ok)
		}
	}
	for _, l := range Langs {
		for k, m := range catalogue[l] {
			if strings.HasPrefix(string(k), webPrefix+"input_error.") && len(placeholders(m.other)) > 0 {
				t.Errorf("%s %q has placeholders %v, which InputError's callers do not fill", l, k, placeholders(m.other))
			}
		}
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]Lang{"": "", "fr": French, "FR-sn": French, "pt-BR": Portuguese, "pt_MZ": Portuguese, "en-GB": English, "sw": ""} {
		got, err := Parse(in)
		if got != want || (want == "" && in != "" && err == nil) {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if got := Match("fr-CH, fr;q=0.9, en;q=0.8"); got != French {
		t.Errorf("got %q, want fr", got)
	}
	if got := Match("sw, de"); got != English {
		t.Errorf("got %q, want en", got)
	}
	if ReplyKeyword(French) != "REÇU" || !IsReplyKeyword("reçu") || !IsReplyKeyword("Ciente") || IsReplyKeyword("no") {
		t.Error("reply keywords")
	}
}

// TestEveryWebKeyUsed: each dashboard text is asked for by the dashboard's
// files (api/web): as a literal id, through data-s in the page, or by a
// prefix the code completes from the API's values (t("status." + s)).
func TestEveryWebKeyUsed(t *testing.T) {
	dir := filepath.Join("..", "..", "api", "web")
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) < 5 {
		t.Fatalf("dashboard files in %s: %v %v", dir, files, err)
	}
	var src strings.Builder
	for _, f := range files {
		if strings.HasSuffix(f, ".js") || strings.HasSuffix(f, ".html") {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src.Write(b)
		}
	}
	all := src.String()
	// Ids built in code: t("rule." + r + ".name"), t(`step.${r}`),
	// "silence.scope" + m: a literal followed by + is a prefix.
	var prefixes []string
	for _, m := range regexp.MustCompile(`"([a-z0-9_.]+)"\s*\+|`+"`"+`([a-z0-9_.]+[._])\$\{`).FindAllStringSubmatch(all, -1) {
		prefixes = append(prefixes, m[1]+m[2])
	}
	if len(prefixes) < 5 {
		t.Fatalf("found only %d id prefixes built in code (%v); is the pattern still right?", len(prefixes), prefixes)
	}
	for k := range catalogue[English] {
		id, ok := strings.CutPrefix(string(k), webPrefix)
		if !ok {
			continue
		}
		used := strings.Contains(all, `"`+id+`"`)
		for _, p := range prefixes {
			used = used || strings.HasPrefix(id, p)
		}
		if !used {
			t.Errorf("dashboard text %q is never asked for in api/web", id)
		}
	}
	for _, l := range Langs {
		w := Web(l)
		if w["nav.fleet"] == "" || w["component.inlet_filter"] == "" {
			t.Errorf("%s: Web lacks nav.fleet or component names", l)
		}
	}
	if Web(French)["nav.alerts"] != "Alertes" || Web(Portuguese)["status.down"] != "Parado" {
		t.Error("Web(fr/pt) is not in French/Portuguese")
	}
}

func TestMatchOr(t *testing.T) {
	for _, c := range []struct {
		def  Lang
		pref string
		want Lang
	}{
		{French, "", French}, {French, "de, es;q=0.8", French}, {French, "sw", English}, {French, "en-US,en;q=0.9", English},
		{English, "pt-MZ,pt;q=0.9", Portuguese}, {"", "de", English}, {Portuguese, "fr-SN", French},
	} {
		if got := MatchOr(c.def, c.pref); got != c.want {
			t.Errorf("MatchOr(%q, %q) = %q, want %q", c.def, c.pref, got, c.want)
		}
	}
}
