package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/oxywatch/oxywatch/internal/i18n"
)

// TestDashboardFieldErrorsInEachLanguage: a 400 with several field errors
// reads, on the dashboard, as the server's detail, then each field and its
// problem, with the separators of the reader's language: French puts a
// no-break space before ":" and ";" as the rest of its catalogue does.
func TestDashboardFieldErrorsInEachLanguage(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	ctx := browserIn(t, srv, "en-GB,en")
	logIn(t, ctx, srv.URL, f.tok["engineer"])
	do(t, ctx, "see the fleet", chromedp.WaitVisible(chromedp.CSS(`#fleet a.device`)))
	for _, tc := range []struct {
		lang      i18n.Lang
		colon, sc string // what must follow the detail and separate the fields
	}{
		{i18n.English, ": ", "; "},
		{i18n.French, "\u00a0: ", "\u00a0; "},
		{i18n.Portuguese, ": ", "; "},
	} {
		p := silenceProblem(t, srv.URL, f.tok["engineer"], string(tc.lang))
		if len(p.Errors) < 2 {
			t.Fatalf("%s: POST /silences {} answered %d field errors, want several for this test", tc.lang, len(p.Errors))
		}
		var parts []string
		for _, e := range p.Errors {
			parts = append(parts, e.Field+" "+e.Detail)
		}
		want := p.Detail + tc.colon + strings.Join(parts, tc.sc)
		got := run(t, ctx, "the error of a bad silence", chromedp.Evaluate[string](fmt.Sprintf(`(async () => {
  await (await import("/ui/strings.js")).choose(%q);
  try { await (await import("/ui/core.js")).api("/silences", { method: "POST", body: {} }); return "no error"; }
  catch (e) { return e.message; }
})()`, tc.lang), chromedp.EvalAwaitPromise))
		if got != want {
			t.Errorf("%s: the dashboard says %q, want %q", tc.lang, got, want)
		}
	}
}

// silenceProblem is the problem the server answers a silence with nothing
// in it, in language lang.
func silenceProblem(t *testing.T, base, token, lang string) Problem {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/api/v1/silences", bytes.NewReader([]byte(`{}`)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", lang)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var p Problem
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil || res.StatusCode != http.StatusBadRequest {
		t.Fatalf("POST /silences {} in %s: %d %v, want a 400 problem", lang, res.StatusCode, err)
	}
	return p
}
