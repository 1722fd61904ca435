package report

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -run Golden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", name, got)
	}
}

func TestGoldenUptimeCSV(t *testing.T) {
	for _, g := range []Group{GroupDevice, GroupFacility, GroupRegion} {
		t.Run(string(g), func(t *testing.T) {
			rep, err := fixtureReporter().Uptime(context.Background(), Query{Period: fixturePeriod(), Group: g})
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := WriteUptimeCSV(&b, rep); err != nil {
				t.Fatal(err)
			}
			golden(t, "uptime-"+string(g)+".csv", b.Bytes())
		})
	}
}

func TestGoldenSupplyCSV(t *testing.T) {
	rep, err := fixtureReporter().Supply(context.Background(), Query{Period: fixturePeriod(), Group: GroupFacility})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteSupplyCSV(&b, rep); err != nil {
		t.Fatal(err)
	}
	golden(t, "supply-facility.csv", b.Bytes())
}

func TestGoldenMonthlyHTML(t *testing.T) {
	r := fixtureReporter()
	f, err := r.Fleet(context.Background(), fixturePeriod(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadProduction(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := MonthlyPage("Uganda Ministry of Health – National Oxygen Programme", f, fixtureDue()).WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, banned := range []string{"http://", "https://", "@import", "<script"} {
		if strings.Contains(html, banned) {
			t.Errorf("the report must be self-contained, but holds %q", banned)
		}
	}
	golden(t, "monthly.html", b.Bytes())
}

// TestGoldenReportHTML renders the API's HTML forms: the uptime report by
// facility and the supply report by facility.
func TestGoldenReportHTML(t *testing.T) {
	ctx := context.Background()
	q := Query{Period: fixturePeriod(), Group: GroupFacility}
	up, err := fixtureReporter().Uptime(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	sup, err := fixtureReporter().Supply(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	for name, rep := range map[string]writer{"uptime-facility.html": up, "supply-facility.html": sup} {
		var b bytes.Buffer
		if err := rep.WriteHTML(&b); err != nil {
			t.Fatal(err)
		}
		golden(t, name, b.Bytes())
	}
}
