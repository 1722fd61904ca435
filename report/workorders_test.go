package report

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// Every fault code has words in the catalogues (its own key or its rule's
// name), so a cause never reaches a reader as a code.
func TestEveryFaultCodeHasWords(t *testing.T) {
	rules := i18n.Keys("rule.")
	for _, code := range plant.FaultCodes {
		if _, ok := faultKeys[code]; !ok && !slices.Contains(rules, "rule."+code) {
			t.Errorf("fault %s has no words: add it to faultKeys or name the rule in the catalogue", code)
		}
	}
	fr := i18n.New(i18n.French)
	for code, want := range map[string]string{"mains_loss": "coupure du secteur", "compressor_fault": "panne du compresseur", "low_purity": "pureté basse"} {
		if got := faultIn(fr, code); got != want {
			t.Errorf("%s in French: %q, want %q", code, got, want)
		}
	}
}

// Causes are counted by the code they start with, or by their words
// whatever their case and spacing, and shown as first written.
func TestCauseKey(t *testing.T) {
	for cause, want := range map[string][2]string{
		"compressor_fault: worn rings": {"compressor_fault", "compressor fault"},
		"mains_loss":                   {"mains_loss", "mains power lost"},
		"  Rats ate  the cable ":       {"rats ate the cable", "Rats ate the cable"},
	} {
		if k, l := causeKey(cause); k != want[0] || l != want[1] {
			t.Errorf("causeKey(%q) = %q, %q; want %q, %q", cause, k, l, want[0], want[1])
		}
	}
}

// woRegistry is the fixture registry with work orders.
type woRegistry struct {
	*fakeRegistry
	wos []plant.WorkOrder
}

func (r woRegistry) WorkOrders(_ context.Context, f plant.WorkOrderFilter) ([]plant.WorkOrder, error) {
	var out []plant.WorkOrder
	for _, w := range r.wos {
		if f.Matches(w) {
			out = append(out, w)
		}
	}
	return out, nil
}

// A work order closed after the period is open at its end and gives no
// MTTR ("–"); one opened by hand within a failure covers it; the report
// keeps to the regions asked for.
func TestRepairsAtThePeriodsEdges(t *testing.T) {
	closed := func(dev, region string, opened, closedAt string) plant.WorkOrder {
		return plant.WorkOrder{Device: plant.DeviceID(dev), Region: region, Status: plant.WorkOrderClosed, OpenedAt: lt(opened),
			ClosedAt: lt(closedAt), RestoredAt: lt(closedAt), Fault: "other", Cause: "other"}
	}
	reg := woRegistry{fixtureRegistry(), []plant.WorkOrder{
		closed("psa-jinja-1", "Eastern", "2026-11-29 10:00", "2026-12-01 10:00"), // closed after November
		closed("psa-gulu-1", "Northern", "2026-11-08 01:00", "2026-11-08 12:00"), // within the 8 November outage: 11 h
	}}
	r := New(reg, fixtureTimelines(), nil, Options{Loc: kampala(), Now: fixedNow(fixtureNow), OutageListMin: 30 * time.Minute})
	rep, err := r.Repairs(context.Background(), Query{Period: fixturePeriod(), Group: GroupRegion})
	if err != nil {
		t.Fatal(err)
	}
	east := rowOf(rep.Items, &rep.Total, "Eastern", func(r RepairRow) string { return r.Key })
	north := rowOf(rep.Items, &rep.Total, "Northern", func(r RepairRow) string { return r.Key })
	if east.WorkOrdersOpen != 1 || east.WorkOrdersClosed != 0 || east.MTTRH != nil {
		t.Errorf("Eastern: %+v, want 1 open at the end, none closed, no MTTR", east)
	}
	// Gulu's outage of 8 November (00:00–04:00 and 10:00–12:00, one
	// outage) is covered by the work order opened at 01:00. Jinja has two
	// failures: 40 min on the 3rd, without a work order, and the one from
	// the 21st still going, which the work order of the 29th covers.
	if north.WorkOrdersClosed != 1 || deref(north.MTTRH) != 11.0 || north.Failures != 1 || north.FailuresWithoutWorkOrder != 0 {
		t.Errorf("Northern: %+v, want 1 closed in 11 h covering its one failure", north)
	}
	if east.Failures != 2 || east.FailuresWithoutWorkOrder != 1 {
		t.Errorf("Eastern failures: %d, %d without a work order; want 2 and 1 (the one still going has the work order of the 29th)", east.Failures, east.FailuresWithoutWorkOrder)
	}
	only, err := r.Repairs(context.Background(), Query{Period: fixturePeriod(), Group: GroupRegion, Regions: []string{"Northern"}})
	if err != nil || only.Total.WorkOrdersOpen != 0 || only.Total.WorkOrdersClosed != 1 {
		t.Errorf("Northern only: %+v %v", only.Total, err)
	}
	var html bytes.Buffer
	if err := rep.WriteHTMLIn(&html, i18n.Portuguese); err != nil || !strings.Contains(html.String(), "Reparações (ordens de trabalho)") {
		t.Errorf("html: %v", err)
	}
}
