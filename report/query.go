package report

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// Query asks for one report: a period, a grouping and the regions it may
// cover. The HTTP layer builds it with ParseQuery and hands it to
// Reporter.Uptime or Reporter.Supply.
type Query struct {
	Period Period
	Group  Group
	// Regions limits the report to devices and facilities of these regions,
	// as a region-limited API token must be: rows, totals, outages, demand
	// and production cover nothing else. nil means every region; an empty
	// non-nil slice means none (an empty report), never all.
	Regions []string
}

// ErrBadQuery is wrapped by ParseQuery's errors: the request itself is
// wrong (HTTP 400), as opposed to a failing store.
var ErrBadQuery = errors.New("bad report query")

// ParseQuery reads a report request as the API gets it: from and to are
// local dates (2026-11-01, midnight in the report zone) or RFC 3339 times,
// both empty for the last complete month; group is device, facility, region
// or country (empty: facility). regions is passed through (see
// Query.Regions). Errors wrap ErrBadQuery.
func (r *Reporter) ParseQuery(from, to, group string, regions []string) (Query, error) {
	p, err := ParsePeriod(from, to, r.opt.Now(), r.opt.Loc)
	if err != nil {
		return Query{}, fmt.Errorf("%w: %w", ErrBadQuery, err)
	}
	g, err := ParseGroup(group)
	if err != nil {
		return Query{}, fmt.Errorf("%w: %w", ErrBadQuery, err)
	}
	return Query{Period: p, Group: g, Regions: regions}, nil
}

// regionFilter answers whether a region is inside a query's regions.
type regionFilter map[string]bool

// newRegionFilter is nil (everything passes) when regions is nil.
func newRegionFilter(regions []string) regionFilter {
	if regions == nil {
		return nil
	}
	f := make(regionFilter, len(regions))
	for _, r := range regions {
		f[r] = true
	}
	return f
}

func (f regionFilter) has(region string) bool { return f == nil || f[region] }

func (f regionFilter) devices(devs []RetiredDevice) []RetiredDevice {
	if f == nil {
		return devs
	}
	return slices.DeleteFunc(devs, func(d RetiredDevice) bool { return !f.has(d.Device.Region) })
}

func (f regionFilter) facilities(facs []plant.Facility) []plant.Facility {
	if f == nil {
		return facs
	}
	out := make([]plant.Facility, 0, len(facs))
	for _, fc := range facs {
		if f.has(fc.Region) {
			out = append(out, fc)
		}
	}
	return out
}

// ParseRegions splits a comma-separated region list; empty gives nil (all).
func ParseRegions(s string) []string {
	var out []string
	for r := range strings.SplitSeq(s, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}
