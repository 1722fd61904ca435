package api

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// TestImportUseAndPoint: the device CSV takes use and measurement_point as
// codes or names in English, French or Portuguese; empty is the kind's
// default; an unknown word is rejected naming the column and the accepted
// words in the reader's language. PUT takes the codes, and an unknown one
// is a 400 naming the field.
func TestImportUseAndPoint(t *testing.T) {
	f := newFixture(t)
	body := "id;kind;use;measurement_point;region\n" +
		"u-1;psa;cylinder_filling;buffer_tank;north\n" +
		"u-2;usine PSA;Remplissage de bouteilles;réservoir tampon;north\n" +
		"u-3;central PSA;enchimento de cilindros;Rampa de enchimento;north\n" +
		"u-4;psa;;;north\n" +
		"u-5;concentrateur;;sortie;north\n" +
		"u-6;psa;oxygen bar;;north\n" +
		"u-7;psa;;roof;north\n"
	req := httptest.NewRequest("POST", "/api/v1/devices/import", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+f.tok["admin"])
	req.Header.Set("Accept-Language", "fr")
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	var res ImportResult
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if res.Created != 5 || res.Rejected != 2 || len(res.Errors) != 2 {
		t.Fatalf("got %+v, want 5 created and rows 7, 8 rejected", res)
	}
	for i, want := range []string{
		"colonne use\u00a0: \"oxygen bar\" n’est pas un usage\u00a0; écrivez l’un de\u00a0: alimentation du réseau, remplissage de bouteilles, au lit du patient (ou les codes pipeline, cylinder_filling, bedside)",
		"colonne measurement_point\u00a0: \"roof\" n’est pas un point de mesure\u00a0; écrivez l’un de\u00a0: sortie, réservoir tampon, réseau, rampe de remplissage",
	} {
		if e := res.Errors[i]; e.Row != 7+i || !strings.Contains(e.Error, want) {
			t.Errorf("error %d: row %d %q, want row %d saying %q", i, e.Row, e.Error, 7+i, want)
		}
	}
	for id, want := range map[string][2]string{
		"u-1": {"cylinder_filling", "buffer_tank"}, "u-2": {"cylinder_filling", "buffer_tank"},
		"u-3": {"cylinder_filling", "filling_manifold"}, "u-4": {"pipeline", "outlet"}, "u-5": {"bedside", "outlet"},
	} {
		var d plant.Device
		f.ok("admin", "GET", "/api/v1/devices/"+id, nil, &d)
		if got := [2]string{string(d.Use), string(d.MeasurementPoint)}; got != want {
			t.Errorf("%s: use, measurement_point = %v, want %v", id, got, want)
		}
	}

	var d plant.Device
	f.ok("admin", "PUT", "/api/v1/devices/u-4", `{"kind": "psa", "region": "north", "use": "cylinder_filling", "measurement_point": "pipeline"}`, &d)
	if d.Use != plant.UseCylinderFilling || d.MeasurementPoint != plant.PointPipeline {
		t.Errorf("PUT: use %q, measurement_point %q", d.Use, d.MeasurementPoint)
	}
	rec = f.do("admin", "PUT", "/api/v1/devices/u-4", `{"kind": "psa", "region": "north", "use": "party"}`)
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "use") || !strings.Contains(rec.Body.String(), "cylinder_filling") {
		t.Errorf("PUT with an unknown use: %d %s, want 400 naming use and the accepted values", rec.Code, rec.Body)
	}
}
