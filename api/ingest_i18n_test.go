package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestIngestRejectionsInTheReadersLanguage: HTTP ingest says why readings
// were refused in the language of Accept-Language (else the deployment's),
// with the words the dashboard uses for the reason; the reason code stays
// the stable identifier, and the ingester's own English line is kept in
// technical.
func TestIngestRejectionsInTheReadersLanguage(t *testing.T) {
	f, _ := ingestFixture(t, 1000)
	tok := f.deviceToken("n-psa-1", "s-psa-1")
	post := func(path, body, lang string) *httptest.ResponseRecorder {
		t.Helper()
		return f.doIn(lang, tok, http.MethodPost, path, body)
	}

	// Nothing accepted: a 400 problem, its detail and each error's in words.
	for _, tc := range []struct{ lang, want string }{
		{"fr-FR,fr;q=0.9", "Une valeur hors de ce que l’appareil peut mesurer"},
		{"pt-MZ", "Um valor fora do que o equipamento pode medir"},
		{"en", "A value outside what the device can measure"},
		{"", "A value outside what the device can measure"}, // the deployment's English
	} {
		rec := post("/api/v1/ingest/n-psa-1", `{"purity_pct":101}`, tc.lang)
		p := wantProblem(t, rec, http.StatusBadRequest)
		if p.Detail != tc.want || len(p.Errors) != 1 {
			t.Fatalf("%q: got detail %q with errors %+v, want %q", tc.lang, p.Detail, p.Errors, tc.want)
		}
		e := p.Errors[0]
		if e.Code != "out_of_range" || e.Field != "readings[0]" || e.Detail != tc.want || !strings.Contains(e.Technical, "purity_pct 101") {
			t.Errorf("%q: got error %+v, want out_of_range on readings[0] saying %q, technical naming purity_pct 101", tc.lang, e, tc.want)
		}
	}

	// Some accepted: 200, each rejected reading said in French.
	rec := post("/api/v1/ingest/n-psa-1", `[{"ts":"2026-11-23T09:58:00Z","purity_pct":93},{"ts":"2026-11-23T09:59:00Z","purity_pct":"x"}]`, "fr")
	var res IngestResult
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &res) != nil || len(res.Errors) != 1 {
		t.Fatalf("backlog with a bad reading: %d %s", rec.Code, rec.Body)
	}
	if e := res.Errors[0]; e.Reason != "bad_type" || e.Index != 1 || e.Detail != "Une valeur du mauvais type (du texte au lieu d’un nombre, par exemple)" ||
		!strings.Contains(e.Technical, "purity_pct") {
		t.Errorf("got %+v, want bad_type at 1 in French, with the technical line", e)
	}
	if !strings.Contains(strings.Join(rec.Header().Values("Vary"), ","), "Accept-Language") {
		t.Error("an answer in the reader's language without Vary: Accept-Language")
	}

	// A batch: per device, in Portuguese.
	rec = post("/api/v1/ingest", `{"devices":[{"device":"s-psa-1","readings":{"purity_pct":94}},{"device":"n-psa-1","readings":"93"}]}`, "pt")
	var batch IngestBatchResult
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &batch) != nil || len(batch.Devices) != 2 || len(batch.Devices[1].Errors) != 1 {
		t.Fatalf("batch: %d %s", rec.Code, rec.Body)
	}
	if e := batch.Devices[1].Errors[0]; e.Reason != "not_json" || e.Detail != "Não é JSON válido" || e.Technical == "" {
		t.Errorf("batch entry: got %+v, want not_json in Portuguese with the technical line", e)
	}

	// A batch refused as a whole: the reason as a field error, in French.
	for _, tc := range []struct {
		body                    string
		status                  int
		code, field             string
		detailPrefix, technical string
	}{
		{`{"devices":[{"device":"bad id","readings":{}}]}`, http.StatusBadRequest, "bad_device_id", "devices[0].device", `"bad id" doit correspondre à`, ""},
		{`{"devices":[]}`, http.StatusBadRequest, "no_values", "devices", "«\u00a0devices\u00a0» est vide ou absent", ""},
		{`{"devices":[{"device":"n-psa-1"}]}`, http.StatusBadRequest, "no_values", "devices[0].readings", "les relevés manquent", ""},
		{`{"devices":{}}`, http.StatusBadRequest, "not_json", "body", "le corps doit être", "cannot unmarshal"},
		{`{"devices":[` + strings.Repeat(`{"device":"s-psa-1","readings":{}},`, MaxIngestBatchDevices) + `{"device":"s-psa-1","readings":{}}]}`,
			http.StatusRequestEntityTooLarge, "too_big", "devices", "un lot contient au plus 100 entrées d’appareil, reçu 101", ""},
	} {
		p := wantProblem(t, post("/api/v1/ingest", tc.body, "fr"), tc.status)
		if len(p.Errors) != 1 || p.Errors[0].Code != tc.code || p.Errors[0].Field != tc.field || !strings.HasPrefix(p.Errors[0].Detail, tc.detailPrefix) ||
			p.Detail != p.Errors[0].Detail || !strings.Contains(p.Errors[0].Technical, tc.technical) {
			t.Errorf("%.60s: got detail %q errors %+v, want %s on %s starting %q, technical with %q",
				tc.body, p.Detail, p.Errors, tc.code, tc.field, tc.detailPrefix, tc.technical)
		}
	}
}
