package dhis2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

var indicators = []string{"uptime_pct", "oxygen_m3", "down_h"}

const goodMapping = `
data_set: pBOMPrpg1QX
data_elements:
  uptime_pct: {data_element: fbfJHSPpUQD, category_option_combo: HllvX50cXC0}
  oxygen_m3: {data_element: cYeuwXTCPkU}
org_units:
  mulago: ImspTQPwCqd
`

func TestParseMappingNamesBadKeys(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"unknown indicator", "data_elements:\n  uptme_pct: {data_element: fbfJHSPpUQD}\n", []string{"data_elements.uptme_pct: unknown indicator"}},
		{"short uid", "data_elements:\n  uptime_pct: {data_element: fbfJHSPpUQ}\n", []string{"data_elements.uptime_pct.data_element", `"fbfJHSPpUQ"`}},
		{"uid starting with a digit", "data_elements:\n  uptime_pct: {data_element: 1bfJHSPpUQD, category_option_combo: bad-combo!!}\n",
			[]string{"data_elements.uptime_pct.data_element", "data_elements.uptime_pct.category_option_combo"}},
		{"missing data element", "data_elements:\n  down_h: {category_option_combo: HllvX50cXC0}\n", []string{"data_elements.down_h.data_element"}},
		{"bad org unit", "data_elements:\n  down_h: {data_element: fbfJHSPpUQD}\norg_units:\n  gulu: gulu\n", []string{"org_units.gulu"}},
		{"bad data set", "data_set: x\ndata_elements:\n  down_h: {data_element: fbfJHSPpUQD}\n", []string{"data_set"}},
		{"unknown key", "data_elements:\n  down_h: {data_element: fbfJHSPpUQD, combo: x}\n", []string{"field combo not found"}},
		{"nothing mapped", "org_units: {}\n", []string{"data_elements: map at least one"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseMapping([]byte(tc.yaml), indicators)
			if !errors.Is(err, ErrMapping) {
				t.Fatalf("got %v, want an ErrMapping", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
	if _, err := ParseMapping([]byte(goodMapping), indicators); err != nil {
		t.Fatal(err)
	}
}

func TestBuild(t *testing.T) {
	m, err := ParseMapping([]byte(goodMapping), indicators)
	if err != nil {
		t.Fatal(err)
	}
	set, skipped, err := m.Build("202611", []Value{
		{Facility: "mulago", Indicator: "uptime_pct", Value: 98.9456},
		{Facility: "mulago", Indicator: "down_h", Value: 7.5}, // not mapped: not exported
		{Facility: "jinja", OrgUnit: "DiszpKrYNg8", Indicator: "oxygen_m3", Value: 2400},
		{Facility: "gulu", Indicator: "oxygen_m3", Value: 2700},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := DataValueSet{DataSet: "pBOMPrpg1QX", Period: "202611", DataValues: []DataValue{
		{DataElement: "fbfJHSPpUQD", Period: "202611", OrgUnit: "ImspTQPwCqd", CategoryOptionCombo: "HllvX50cXC0", Value: "98.95"},
		{DataElement: "cYeuwXTCPkU", Period: "202611", OrgUnit: "DiszpKrYNg8", Value: "2400"},
	}}
	if fmt.Sprint(set) != fmt.Sprint(want) {
		t.Errorf("got  %+v\nwant %+v", set, want)
	}
	if len(skipped) != 1 || skipped[0].Facility != "gulu" {
		t.Errorf("got skipped %+v, want gulu without an org unit", skipped)
	}
	if _, _, err := m.Build("2026-11", nil); err == nil {
		t.Error("period 2026-11 was accepted")
	}
}

// fakeDHIS2 speaks the DHIS2 dataValueSets API on loopback. It checks the
// payload as DHIS2 would and answers an import summary in the shape of the
// given version: "2.37" bare, "2.40" wrapped in a WebMessage.
type fakeDHIS2 struct {
	t         *testing.T
	version   string
	auth      string            // the Authorization header expected
	conflicts map[string]string // orgUnit → conflict message
	got       DataValueSet
}

var (
	uidRE    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{10}$`)
	periodRE = regexp.MustCompile(`^[0-9]{4}(0[1-9]|1[0-2])$`)
)

func (f *fakeDHIS2) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/dataValueSets" {
		http.Error(w, `{"httpStatus":"Not Found","httpStatusCode":404,"status":"ERROR"}`, http.StatusNotFound)
		return
	}
	if r.Header.Get("Authorization") != f.auth {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"httpStatus":"Unauthorized","httpStatusCode":401,"status":"ERROR","message":"Unauthorized"}`)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		f.t.Errorf("Content-Type %q", ct)
	}
	if err := f.check(r.Body); err != nil {
		f.t.Errorf("payload: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.answer(w)
}

// check validates every field of the payload the way DHIS2 would.
func (f *fakeDHIS2) check(body io.Reader) error {
	var raw map[string]json.RawMessage
	b, _ := io.ReadAll(body)
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for k := range raw {
		switch k {
		case "dataSet", "period", "orgUnit", "attributeOptionCombo", "dataValues", "completeDate":
		default:
			return fmt.Errorf("unknown field %q", k)
		}
	}
	if err := json.Unmarshal(b, &f.got); err != nil {
		return err
	}
	if f.got.DataSet != "" && !uidRE.MatchString(f.got.DataSet) {
		return fmt.Errorf("dataSet %q", f.got.DataSet)
	}
	if !periodRE.MatchString(f.got.Period) {
		return fmt.Errorf("period %q", f.got.Period)
	}
	if len(f.got.DataValues) == 0 {
		return fmt.Errorf("no dataValues")
	}
	var values []map[string]string
	if err := json.Unmarshal(raw["dataValues"], &values); err != nil {
		return err
	}
	for i, v := range values {
		for _, k := range []string{"dataElement", "period", "orgUnit", "value"} {
			if v[k] == "" {
				return fmt.Errorf("dataValues[%d] lacks %s", i, k)
			}
		}
		for _, k := range []string{"dataElement", "orgUnit", "categoryOptionCombo"} {
			if _, ok := v[k]; ok && !uidRE.MatchString(v[k]) {
				return fmt.Errorf("dataValues[%d].%s %q is not a uid", i, k, v[k])
			}
		}
		if !periodRE.MatchString(v["period"]) {
			return fmt.Errorf("dataValues[%d].period %q", i, v["period"])
		}
	}
	return nil
}

func (f *fakeDHIS2) answer(w http.ResponseWriter) {
	var conflicts []map[string]any
	imported := 0
	for _, v := range f.got.DataValues {
		if msg, ok := f.conflicts[v.OrgUnit]; ok {
			conflicts = append(conflicts, map[string]any{
				"object": v.OrgUnit, "objects": map[string]string{"organisationUnit": v.OrgUnit},
				"value": msg, "errorCode": "E7617", "property": "orgUnit", "indexes": []int{0},
			})
			continue
		}
		imported++
	}
	status := "SUCCESS"
	if len(conflicts) > 0 {
		status = "WARNING"
	}
	summary := map[string]any{
		"responseType": "ImportSummary", "status": status,
		"importOptions": map[string]any{"idSchemes": map[string]any{}, "dryRun": false, "importStrategy": "CREATE_AND_UPDATE"},
		"description":   "Import process completed successfully",
		"importCount":   map[string]int{"imported": imported, "updated": 0, "ignored": len(conflicts), "deleted": 0},
		"conflicts":     conflicts, "dataSetComplete": "false",
	}
	w.Header().Set("Content-Type", "application/json")
	if f.version == "2.37" {
		json.NewEncoder(w).Encode(summary)
		return
	}
	env := map[string]any{"httpStatus": "OK", "httpStatusCode": 200, "status": "OK", "message": "Import was successful.", "response": summary}
	if len(conflicts) > 0 {
		env = map[string]any{"httpStatus": "Conflict", "httpStatusCode": 409, "status": "WARNING", "message": "One more conflicts encountered, please check import summary.", "response": summary}
		w.WriteHeader(http.StatusConflict)
	}
	json.NewEncoder(w).Encode(env)
}

func testSet() DataValueSet {
	return DataValueSet{DataSet: "pBOMPrpg1QX", Period: "202611", DataValues: []DataValue{
		{DataElement: "fbfJHSPpUQD", Period: "202611", OrgUnit: "ImspTQPwCqd", CategoryOptionCombo: "HllvX50cXC0", Value: "98.95"},
		{DataElement: "cYeuwXTCPkU", Period: "202611", OrgUnit: "DiszpKrYNg8", Value: "2400"},
	}}
}

func TestPush(t *testing.T) {
	for _, version := range []string{"2.37", "2.40"} {
		t.Run(version+" token", func(t *testing.T) {
			fake := &fakeDHIS2{t: t, version: version, auth: "ApiToken d2pat_abc123"}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			c := &Client{BaseURL: srv.URL + "/", Token: "d2pat_abc123", HTTP: srv.Client()}
			s, err := c.Push(context.Background(), testSet())
			if err != nil {
				t.Fatal(err)
			}
			if s.Status != "SUCCESS" || s.ImportCount.Imported != 2 || len(s.Conflicts) != 0 {
				t.Errorf("got %s", s)
			}
		})
		t.Run(version+" conflict", func(t *testing.T) {
			fake := &fakeDHIS2{t: t, version: version, auth: "Basic YWRtaW46ZGlzdHJpY3Q=",
				conflicts: map[string]string{"DiszpKrYNg8": "Organisation unit not found or not accessible"}}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			c := &Client{BaseURL: srv.URL, Username: "admin", Password: "district", HTTP: srv.Client()}
			s, err := c.Push(context.Background(), testSet())
			var ie *ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v, want an ImportError", err)
			}
			for _, want := range []string{"DiszpKrYNg8", "Organisation unit not found", "WARNING", "imported 1"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
			if s == nil || s.ImportCount.Ignored != 1 || len(s.Conflicts) != 1 {
				t.Errorf("got summary %v", s)
			}
		})
	}
	t.Run("bad credentials", func(t *testing.T) {
		srv := httptest.NewServer(&fakeDHIS2{t: t, auth: "ApiToken right"})
		defer srv.Close()
		_, err := (&Client{BaseURL: srv.URL, Token: "wrong", HTTP: srv.Client()}).Push(context.Background(), testSet())
		if err == nil || !strings.Contains(err.Error(), "401") || !errors.Is(err, ErrNoSummary) {
			t.Errorf("got %v, want a 401 without summary", err)
		}
	})
}
