package report

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// writer is the interface the HTTP layer uses for both reports.
type writer interface {
	WriteJSON(io.Writer) error
	WriteCSV(io.Writer) error
	WriteHTML(io.Writer) error
}

var (
	_ writer = (*UptimeReport)(nil)
	_ writer = (*SupplyReport)(nil)
)

// renderAll writes rep in every format, joined.
func renderAll(t *testing.T, rep writer) string {
	t.Helper()
	var b bytes.Buffer
	for _, w := range []func(io.Writer) error{rep.WriteJSON, rep.WriteCSV, rep.WriteHTML} {
		if err := w(&b); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// TestRegionLimitedReports asks for the Eastern region only, as a token
// limited to it would: no row, total, outage, facility or figure of another
// region may show, in any format.
func TestRegionLimitedReports(t *testing.T) {
	ctx := context.Background()
	foreign := []string{"Central", "Northern", "Western", "mulago", "gulu", "kabale", "Mulago", "Gulu", "Kabale"}
	for _, g := range []Group{GroupDevice, GroupFacility, GroupRegion, GroupCountry} {
		t.Run("uptime by "+string(g), func(t *testing.T) {
			rep, err := fixtureReporter().Uptime(ctx, Query{Period: fixturePeriod(), Group: g, Regions: []string{"Eastern"}})
			if err != nil {
				t.Fatal(err)
			}
			// Eastern: psa-jinja-1 for 720 h, conc-jinja-1 from the 10th 09:00
			// (495 h) and cyl-jinja-1, silent, for 720 h
			if rep.Total.Devices != 3 || rep.Total.PeriodH != 1935 || rep.Total.DownH != 234.667 {
				t.Errorf("got total %+v, want 3 devices, 1935 h, 234.667 h down", rep.Total)
			}
			for _, o := range rep.Outages {
				if o.Region != "Eastern" {
					t.Errorf("outage of region %q listed", o.Region)
				}
			}
			if len(rep.Outages) != 2 {
				t.Errorf("got %d outages, want the 2 of psa-jinja-1", len(rep.Outages))
			}
			noneOf(t, renderAll(t, rep), foreign)
		})
	}
	for _, g := range []Group{GroupFacility, GroupRegion, GroupCountry} {
		t.Run("supply by "+string(g), func(t *testing.T) {
			rep, err := fixtureReporter().Supply(ctx, Query{Period: fixturePeriod(), Group: g, Regions: []string{"Eastern"}})
			if err != nil {
				t.Fatal(err)
			}
			// Jinja: 120 beds × 2.5 L/min; psa-jinja-1 made 120 m3 a day on the 1st to the 20th
			if rep.Total.Devices != 2 || rep.Total.RatedLPM != 260 || *rep.Total.DemandLPM != 300 || rep.Total.ProducedM3 != 2400 {
				t.Errorf("got total %+v, want 2 devices, 260 L/min rated, 300 L/min demand, 2400 m3", rep.Total)
			}
			noneOf(t, renderAll(t, rep), foreign)
		})
	}
}

func noneOf(t *testing.T, out string, banned []string) {
	t.Helper()
	for _, b := range banned {
		if strings.Contains(out, b) {
			t.Errorf("the report shows %q, outside the regions asked for", b)
		}
	}
}

// TestNoRegionsIsNothing: an empty, non-nil region list must not mean all.
func TestNoRegionsIsNothing(t *testing.T) {
	ctx := context.Background()
	q := Query{Period: fixturePeriod(), Group: GroupFacility, Regions: []string{}}
	up, err := fixtureReporter().Uptime(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(up.Items) != 0 || up.Total.Devices != 0 || len(up.Outages) != 0 {
		t.Errorf("got %d rows, %d devices, %d outages; want none", len(up.Items), up.Total.Devices, len(up.Outages))
	}
	sup, err := New(fixtureRegistry(), fixtureTimelines(), failingProduction{}, Options{Loc: kampala(), Now: fixedNow(fixtureNow)}).Supply(ctx, q)
	if err != nil {
		t.Fatalf("supply of no devices asked the production source: %v", err)
	}
	if len(sup.Items) != 0 || sup.Total.DemandLPM != nil {
		t.Errorf("got %+v", sup)
	}
}

type failingProduction struct{}

func (failingProduction) Production(context.Context, ProductionQuery) (map[plant.DeviceID]Production, error) {
	return nil, errors.New("must not be called")
}

func TestParseQuery(t *testing.T) {
	r := New(fixtureRegistry(), fixtureTimelines(), nil, Options{Loc: kampala(), Now: fixedNow(fixtureNow)})
	q, err := r.ParseQuery("", "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !q.Period.From.Equal(lt("2026-11-01 00:00")) || !q.Period.To.Equal(lt("2026-12-01 00:00")) || q.Group != GroupFacility || q.Regions != nil {
		t.Errorf("defaults: got %+v, want November 2026 in Kampala by facility", q)
	}
	q, err = r.ParseQuery("2026-11-03", "2026-11-05T12:00:00Z", "region", []string{"Eastern"})
	if err != nil {
		t.Fatal(err)
	}
	if !q.Period.From.Equal(lt("2026-11-03 00:00")) || !q.Period.To.Equal(time.Date(2026, 11, 5, 12, 0, 0, 0, time.UTC)) || q.Group != GroupRegion || !slices.Equal(q.Regions, []string{"Eastern"}) {
		t.Errorf("got %+v", q)
	}
	for _, bad := range [][3]string{
		{"2026-11-01", "", ""},
		{"2026-11-05", "2026-11-01", ""},
		{"yesterday", "2026-11-01", ""},
		{"2026-11-01", "2026-12-01", "district"},
	} {
		if _, err := r.ParseQuery(bad[0], bad[1], bad[2], nil); !errors.Is(err, ErrBadQuery) {
			t.Errorf("ParseQuery(%q) = %v, want an ErrBadQuery", bad, err)
		}
	}
}

func TestParseRegions(t *testing.T) {
	if got := ParseRegions(""); got != nil {
		t.Errorf("empty: got %#v, want nil (all regions)", got)
	}
	if got := ParseRegions(" Central, ,Eastern "); !slices.Equal(got, []string{"Central", "Eastern"}) {
		t.Errorf("got %q", got)
	}
}

// TestReporterConcurrent: the HTTP layer shares one Reporter between
// requests; reports made at once equal those made one by one (run with -race).
func TestReporterConcurrent(t *testing.T) {
	r := fixtureReporter()
	ctx := context.Background()
	regions := []string{"Central", "Eastern", "Northern", "Western"}
	serial := make([]string, len(regions))
	for i, reg := range regions {
		rep, err := r.Uptime(ctx, Query{Period: fixturePeriod(), Group: GroupDevice, Regions: []string{reg}})
		if err != nil {
			t.Fatal(err)
		}
		serial[i] = renderAll(t, rep)
	}
	got := make([]string, len(regions))
	errs := make(chan error, len(regions))
	for i, reg := range regions {
		go func() {
			rep, err := r.Uptime(ctx, Query{Period: fixturePeriod(), Group: GroupDevice, Regions: []string{reg}})
			if err == nil {
				var b bytes.Buffer
				err = errors.Join(rep.WriteJSON(&b), rep.WriteCSV(&b), rep.WriteHTML(&b))
				got[i] = b.String()
			}
			errs <- err
		}()
	}
	for range regions {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range regions {
		if got[i] != serial[i] {
			t.Errorf("%s: the concurrent report differs from the serial one", regions[i])
		}
	}
}
