package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// A service history CSV records one service a row; rows naming an
// unregistered device, a device outside the token's regions, a date in the
// future or no date are reported and the others kept.
func TestImportServiceHistory(t *testing.T) {
	f := newFixture(t)
	csv := strings.Join([]string{
		"id;component;done_at;runtime_h;note;by",
		"n-psa-1;Filter_Elements;2026-05-14;4100,5;changed both;Amos",
		"n-con-2;preventive_service;2026-01-10T09:00:00Z;;;",
		"s-psa-1;air_compressor;2026-05-14;3000;;",
		"ghost-9;air_compressor;2026-05-14;3000;;",
		"n-psa-1;zeolite;2099-01-01;;;",
		"n-psa-1;zeolite;;;;",
	}, "\n") + "\n"
	rec := f.do("north-engineer", "POST", "/api/v1/maintenance/import", csv)
	if rec.Code != http.StatusOK {
		t.Fatalf("import: %d %s", rec.Code, rec.Body)
	}
	var res ImportResult
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	var rows []int
	for _, e := range res.Errors {
		rows = append(rows, e.Row)
	}
	if res.Created != 2 || res.Rejected != 4 || !slices.Equal(rows, []int{4, 5, 6, 7}) {
		t.Fatalf("result %+v, want rows 2 and 3 recorded and rows 4–7 rejected", res)
	}
	for i, want := range []struct{ code, words string }{{"outside_regions", "outside"}, {"not_registered", "not registered"},
		{"future_date", "future"}, {"required", "done_at: is required"}} {
		if e := res.Errors[i]; e.Code != want.code || !strings.Contains(e.Error, want.words) {
			t.Errorf("row %d: %s %q, want code %s saying %q", e.Row, e.Code, e.Error, want.code, want.words)
		}
	}
	got := f.maint.records
	if len(got) != 2 || got[0].Component != "filter_elements" || got[0].RuntimeH != 4100.5 || got[0].By != "Amos" ||
		!got[0].DoneAt.Equal(time.Date(2026, 5, 14, 0, 0, 0, 0, time.UTC)) || !strings.Contains(got[1].By, "north-engineer") {
		t.Errorf("records %+v", got)
	}
	// The clocks were held during the import and released once, before
	// the answer, after both records.
	if !slices.Equal(f.maint.releases, []int{2}) {
		t.Errorf("releases %v, want one after the 2 records", f.maint.releases)
	}
	wantProblem(t, f.do("viewer", "POST", "/api/v1/maintenance/import", csv), http.StatusForbidden)
	wantProblem(t, f.do("engineer", "POST", "/api/v1/maintenance/import", "component,done_at\nfilter,2026-01-01\n"), http.StatusBadRequest)
}
