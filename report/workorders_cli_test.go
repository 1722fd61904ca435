package report

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// `report repairs` reads the work orders of the real registry; a registry
// without them is refused by name; `report monthly --format csv` gives the
// page's figures by region and in total.
func TestCLIRepairs(t *testing.T) {
	deps := cliDeps(t)
	deps.Config.TimeZone = "Africa/Blantyre"
	deps.Config.OutageListMin = 30 * time.Minute
	deps.Registry, deps.Timelines, deps.Production, deps.Maintenance = nationalRegistry(t), nationalTimelines(), nil, nil
	out, _, err := runCLI(t, deps, "repairs", "--month", "2026-11", "--group", "region", "--format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || lines[0] != strings.Join(RepairColumns, ",") ||
		lines[4] != "total,total,,,,4,1,6,2,42.375,169.5,Rats ate the power cable=1; mains power lost=1; compressor fault=1" {
		t.Errorf("got:\n%s", out)
	}
	out, _, err = runCLI(t, deps, "repairs", "--month", "2026-11", "--group", "facility", "--format", "html", "--lang", "fr")
	if err != nil || !strings.Contains(out, "Réparations (ordres de travail)") || !strings.Contains(out, "coupure du secteur (1)") {
		t.Errorf("html in French: %v\n%s", err, out)
	}

	out, errOut, err := runCLI(t, deps, "monthly", "--month", "2026-11", "--format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, strings.Join(MonthlyColumns, ",")+"\n") || !strings.Contains(out, "\ntotal,total,") || !strings.Contains(errOut, "supply section") {
		t.Errorf("monthly csv without InfluxDB: %s\n%s", out, errOut)
	}
	if _, _, err := runCLI(t, deps, "monthly", "--month", "2026-11", "--format", "pdf"); !errors.Is(err, ErrUsage) {
		t.Errorf("--format pdf: %v, want a usage error", err)
	}
	if _, _, err := runCLI(t, cliDeps(t), "repairs", "--month", "2026-11"); !errors.Is(err, ErrNoWorkOrders) {
		t.Errorf("a registry without work orders: %v, want ErrNoWorkOrders", err)
	}
}
