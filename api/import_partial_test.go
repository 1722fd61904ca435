package api

import (
	"slices"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// A file with only some columns changes those and keeps the rest of what
// is stored: re-importing a ministry's short inventory (id, facility,
// region) must not wipe a device's SMS number, dates or use, nor a
// facility's beds by category and coordinates. An empty cell in a column
// the file has still clears it.
func TestImportKeepsColumnsTheFileLacks(t *testing.T) {
	f := newFixture(t)
	var res ImportResult
	f.ok("admin", "POST", "/api/v1/devices/import", "id,kind,model,facility,region,country,rated_flow_lpm,report_interval_s,commissioned_at,sms_number,use,measurement_point\n"+
		"k-1,psa,OG-15,f-east,east,UG,500,60,2024-03-15,+256700000001,cylinder_filling,buffer_tank\n", &res)
	if res.Created != 1 {
		t.Fatalf("first import: %+v", res)
	}
	f.ok("admin", "POST", "/api/v1/devices/import", "id,facility,region,model\nk-1,f-west,east,\n", &res)
	if res.Updated != 1 || res.Rejected != 0 {
		t.Fatalf("short import: %+v", res)
	}
	var d plant.Device
	f.ok("admin", "GET", "/api/v1/devices/k-1", nil, &d)
	if d.Facility != "f-west" || d.Model != "" {
		t.Errorf("columns in the file: facility %q model %q, want f-west and cleared", d.Facility, d.Model)
	}
	if d.Kind != plant.KindPSA || d.Country != "UG" || d.RatedFlowLPM != 500 || d.ReportIntervalS != 60 || d.SMSNumber != "+256700000001" ||
		d.Use != "cylinder_filling" || d.MeasurementPoint != "buffer_tank" || !d.CommissionedAt.Equal(time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("columns not in the file changed: %+v", d)
	}
	// beds for the stored facility, though the file does not name it
	f.ok("admin", "POST", "/api/v1/devices/import", "id,beds\nk-1,90\n", &res)
	if res.Updated != 1 || res.Rejected != 0 {
		t.Fatalf("beds without a facility column, for a device that has one: %+v", res)
	}

	f.ok("admin", "PUT", "/api/v1/facilities/f-west", `{"name":"West","region":"east","country":"UG","lat":1.5,"lon":32.1,"beds":90,
		"beds_general":60,"beds_severe":20,"beds_critical":10,"demand_lpm":700,"dhis2_org_unit":"OU9"}`, nil)
	rec := importFacilitiesAs(t, f, "admin", "id,beds,name\nf-west,120,\n")
	decodeJSON(t, rec, &res)
	if res.Updated != 1 || res.Rejected != 0 {
		t.Fatalf("short facility import: %+v", res)
	}
	var fac plant.Facility
	f.ok("admin", "GET", "/api/v1/facilities/f-west", nil, &fac)
	if fac.Beds != 120 || fac.Name != "" {
		t.Errorf("columns in the file: beds %d name %q, want 120 and cleared", fac.Beds, fac.Name)
	}
	if fac.BedsGeneral != 60 || fac.BedsSevere != 20 || fac.BedsCritical != 10 || fac.DemandLPM != 700 || fac.Lat != 1.5 || fac.Lon != 32.1 ||
		fac.OrgUnit != "OU9" || fac.Region != "east" || fac.Country != "UG" {
		t.Errorf("columns not in the file changed: %+v", fac)
	}
}

// Every column an import reads is kept when a file lacks it: a column
// added to the CSV without its keepAbsent entry fails here.
func TestImportColumnsAllKept(t *testing.T) {
	for _, c := range csvColumns {
		if _, ok := deviceCells[c]; !ok && !slices.Contains([]string{"id", "beds"}, c) {
			t.Errorf("device column %q has no entry in deviceCells", c)
		}
	}
	for _, c := range facilityColumns {
		if _, ok := facilityCells[c]; !ok && c != "id" {
			t.Errorf("facility column %q has no entry in facilityCells", c)
		}
	}
}
