package api

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestProblemsInTheReadersLanguage (issue 18): a problem's title and detail
// are in the language of Accept-Language, else the deployment's; type and
// code stay the same English identifiers in every language.
func TestProblemsInTheReadersLanguage(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Language = "fr" })
	ask := func(who, path, acceptLanguage string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if who != "" {
			req.Header.Set("Authorization", "Bearer "+f.tok[who])
		}
		if acceptLanguage != "" {
			req.Header.Set("Accept-Language", acceptLanguage)
		}
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		return rec
	}
	for _, tc := range []struct {
		name, who, path, lang string
		status                int
		want                  Problem
	}{
		{"404 in Portuguese", "viewer", "/api/v1/nothing-here", "pt-BR,pt;q=0.9,en;q=0.5", http.StatusNotFound,
			Problem{Code: "no_such_route", Title: "Não encontrado", Detail: "rota desconhecida"}},
		{"400 in Portuguese", "viewer", "/api/v1/alerts?severity=loud", "pt-MZ", http.StatusBadRequest,
			Problem{Code: "bad_severity", Title: "Pedido inválido", Detail: "severity tem de ser critical, warning ou info"}},
		{"401 in Portuguese", "", "/api/v1/devices", "pt", http.StatusUnauthorized,
			Problem{Code: "missing_token", Title: "Não autenticado", Detail: "falta o token (Authorization: Bearer TOKEN)"}},
		{"404 in English", "viewer", "/api/v1/nothing-here", "en-GB", http.StatusNotFound,
			Problem{Code: "no_such_route", Title: "Not Found", Detail: "no such route"}},
		{"no Accept-Language: the deployment's French", "viewer", "/api/v1/alerts?severity=loud", "", http.StatusBadRequest,
			Problem{Code: "bad_severity", Title: "Requête invalide", Detail: "severity doit être critical, warning ou info"}},
		{"a language we lack: the deployment's French", "viewer", "/api/v1/nothing-here", "de, es;q=0.8", http.StatusNotFound,
			Problem{Code: "no_such_route", Title: "Introuvable", Detail: "route inconnue"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := ask(tc.who, tc.path, tc.lang)
			p := wantProblem(t, rec, tc.status)
			if p.Code != tc.want.Code || p.Title != tc.want.Title || p.Detail != tc.want.Detail || p.Type != "about:blank" {
				t.Errorf("got type %q code %q title %q detail %q,\nwant type about:blank code %q title %q detail %q",
					p.Type, p.Code, p.Title, p.Detail, tc.want.Code, tc.want.Title, tc.want.Detail)
			}
			if v := rec.Header().Values("Vary"); len(v) == 0 {
				t.Error("no Vary: Accept-Language on a problem that depends on it")
			}
		})
	}
}

// TestNotConfiguredInTheReadersLanguage: a 501 names what the server lacks
// in the reader's language, the whole sentence, not English words inside
// a translated one ("work orders n’est pas configuré").
func TestNotConfiguredInTheReadersLanguage(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.Registry = plainRegistry{o.Registry}
		o.Contacts, o.Alerts, o.DeviceTokens = nil, nil, nil
	})
	for _, tc := range []struct {
		path, lang, want string
	}{
		{"/api/v1/work-orders", "fr", "ce serveur n’est pas configuré pour les ordres de travail"},
		{"/api/v1/contacts", "fr-SN", "ce serveur n’est pas configuré pour les contacts"},
		{"/api/v1/alerts", "fr", "ce serveur n’est pas configuré pour le moteur d’alertes"},
		{"/api/v1/devices/n-con-2/functional", "fr", "ce serveur n’est pas configuré pour l’état de fonctionnement et les relevés de stock"},
		{"/api/v1/device-tokens", "pt-PT", "este servidor não está configurado para os tokens de equipamento"},
		{"/api/v1/work-orders", "pt-BR", "este servidor não está configurado para as ordens de trabalho"},
		{"/api/v1/work-orders", "en", "work orders is not configured on this server"},
	} {
		t.Run(tc.path+" "+tc.lang, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			req.Header.Set("Authorization", "Bearer "+f.tok["admin"])
			req.Header.Set("Accept-Language", tc.lang)
			rec := httptest.NewRecorder()
			f.h.ServeHTTP(rec, req)
			p := wantProblem(t, rec, http.StatusNotImplemented)
			if p.Code != "not_configured" || p.Detail != tc.want {
				t.Errorf("got code %q detail %q, want not_configured %q", p.Code, p.Detail, tc.want)
			}
		})
	}
}
