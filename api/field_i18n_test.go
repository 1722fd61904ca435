package api

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/oxywatch/oxywatch/internal/i18n"
)

// TestFieldErrorsInTheReadersLanguage (issue 18): each errors[] entry of a
// problem says its field's fault in the language of Accept-Language, with
// a code that is the same in every language; checks of internal/store
// (a device's fields) and CSV row errors too.
func TestFieldErrorsInTheReadersLanguage(t *testing.T) {
	f := newFixture(t)
	send := func(method, path, lang, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+f.tok["admin"])
		req.Header.Set("Accept-Language", lang)
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		return rec
	}
	fields := func(p Problem) map[string]FieldError {
		out := map[string]FieldError{}
		for _, e := range p.Errors {
			out[e.Field+" "+e.Code] = e
		}
		return out
	}
	silence := `{"device": "bad id!", "comment": " "}`
	pt := fields(wantProblem(t, send("POST", "/api/v1/silences", "pt-BR", silence), http.StatusBadRequest))
	en := fields(wantProblem(t, send("POST", "/api/v1/silences", "en", silence), http.StatusBadRequest))
	for key, want := range map[string]string{
		"device bad_device_id": `"bad id!" não é um identificador de equipamento`,
		"ends_at required":     "obrigatório (RFC 3339)",
		"comment required":     "diga porquê (é mostrado a quem o silêncio esconde um alerta)",
	} {
		if got := pt[key].Detail; got != want {
			t.Errorf("silence %s in Portuguese: %q, want %q (all: %+v)", key, got, want, pt)
		}
		if e, ok := en[key]; !ok || e.Detail == pt[key].Detail {
			t.Errorf("silence %s in English: %+v, want the same code in English words", key, e)
		}
	}

	p := wantProblem(t, send("PUT", "/api/v1/devices/x-1", "pt", `{"kind": "psa", "rated_flow_lpm": 5000000}`), http.StatusBadRequest)
	if len(p.Errors) != 1 || p.Errors[0].Field != "rated_flow_lpm" || p.Errors[0].Code != "out_of_range" ||
		p.Errors[0].Detail != "5e+06 está fora de 0 a 100000" || p.Code != "invalid_fields" || !strings.HasPrefix(p.Detail, "dados inválidos: rated_flow_lpm: ") {
		t.Errorf("device field from the store in Portuguese: %+v", p)
	}

	rec := send("POST", "/api/v1/devices/import", "fr-FR", "id,kind,rated_flow_lpm,commissioned_at\nx-2,psa,beaucoup,\nx-3,psa,,hier\n")
	var res ImportResult
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || rec.Code != http.StatusOK || len(res.Errors) != 2 {
		t.Fatalf("import: %d %s", rec.Code, rec.Body)
	}
	for i, want := range []RowError{
		{Row: 2, ID: "x-2", Code: "not_number", Error: `rated_flow_lpm: "beaucoup" n’est pas un nombre`},
		{Row: 3, ID: "x-3", Code: "bad_date", Error: `commissioned_at: "hier" n’est ni une date comme 2024-03-15 ni une heure RFC 3339`},
	} {
		if res.Errors[i] != want {
			t.Errorf("row error in French %+v, want %+v", res.Errors[i], want)
		}
	}
}

// TestNoFieldWordsOutsideTheCatalogue fails when a handler of api/ writes
// a field or row error's words itself instead of through the catalogue:
// a FieldError literal holding a string with words, a catalogue key that
// does not exist, or (in the files that check fields and rows) an
// errors.New, fmt.Errorf or fmt.Sprintf of words.
func TestNoFieldWordsOutsideTheCatalogue(t *testing.T) {
	keys := map[string]bool{}
	for _, k := range i18n.Keys("") {
		keys[k] = true
	}
	words := regexp.MustCompile(`[A-Za-z]{2,}`)
	keyLike := regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)+$`)
	checked := map[string]bool{"csv.go": true, "csv_use.go": true, "maintenance.go": true, "functional.go": true,
		"workorders.go": true, "silences.go": true, "facilities.go": true, "tagvalues.go": true, "limits.go": true,
		"contacts.go": true, "devices.go": true, "readings.go": true, "helpers.go": true}
	keyArg := map[string]int{"fieldErr": 1, "Field": 1, "Errorf": 0, "Wrap": 1} // function → index of its key
	names, _ := filepath.Glob("*.go")
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		literalWords := func(n ast.Node, what string) {
			ast.Inspect(n, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					s, _ := strconv.Unquote(lit.Value)
					if words.MatchString(s) && !keyLike.MatchString(s) && !strings.Contains(s, "%w") {
						t.Errorf("%s: %s %q: give it a key in internal/i18n/field_*.go", fset.Position(lit.Pos()), what, s)
					}
				}
				return true
			})
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "FieldError" {
					literalWords(n, "a FieldError of words")
				}
			case *ast.CallExpr:
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
					if x, ok := fn.X.(*ast.Ident); ok && checked[filepath.Base(fset.Position(n.Pos()).Filename)] &&
						((x.Name == "errors" && name == "New") || (x.Name == "fmt" && (name == "Errorf" || name == "Sprintf"))) {
						literalWords(n, x.Name+"."+name)
					}
				}
				if i, ok := keyArg[name]; ok && i < len(n.Args) {
					if lit, ok := n.Args[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						if s, _ := strconv.Unquote(lit.Value); keyLike.MatchString(s) && !keys[s] {
							t.Errorf("%s: %q is not a key of the catalogue", fset.Position(lit.Pos()), s)
						}
					}
				}
			}
			return true
		})
	}
}
