package influx

import (
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// TestProductionFluxText: the production query reads from a day before the
// period, cuts days at local midnight, quotes device names as Flux strings
// and names no devices for a fleet-wide query.
func TestProductionFluxText(t *testing.T) {
	kampala := time.FixedZone("EAT", 3*3600)
	q := plant.ProductionQuery{
		From: time.Date(2026, time.November, 1, 0, 0, 0, 0, kampala), To: time.Date(2026, time.December, 1, 0, 0, 0, 0, kampala),
		Loc: kampala, MaxGap: 5 * time.Minute, Devices: []plant.DeviceID{"psa-1", `odd"${x}`},
	}
	got := ProductionFlux("oxywatch/autogen", q)
	for _, want := range []string{
		"start = 2026-10-31T21:00:00Z",
		"stop = 2026-11-30T21:00:00Z",
		`from(bucket: "oxywatch/autogen")`,
		"range(start: 2026-10-30T21:00:00Z, stop: stop)",
		`contains(value: r.device, set: ["psa-1", "odd\"\${x}"])`,
		"window(every: 1d, offset: 75600s)", // 21:00 UTC is midnight in Kampala
		"if r.elapsed > 300 then 300",
		`yield(name: "m3")`, `yield(name: "cylinders")`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("query lacks %q:\n%s", want, got)
		}
	}
	q.Devices = make([]plant.DeviceID, maxDeviceFilter+1)
	if strings.Contains(ProductionFlux("b", q), "contains(") {
		t.Error("a fleet-wide query names every device")
	}
}

// TestMeansFluxQuotes: the history query quotes as the production query
// does, so a name holding a quote or ${ stays a plain string.
func TestMeansFluxQuotes(t *testing.T) {
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	got := MeansFlux("b", `odd"${x}`, []string{"purity_pct"}, at, at.Add(time.Hour), time.Minute)
	if !strings.Contains(got, `r.device == "odd\"\${x}"`) {
		t.Errorf("device not quoted as a Flux string:\n%s", got)
	}
}
