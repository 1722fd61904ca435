package api

import (
	"context"
	"net/http"
	"slices"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// A token limited to regions sees and acts on nothing outside them
// (CONTRACT §5). This file is the one place that decides what lies inside:
// a handler describes what it shows or changes as footprints and asks the
// caller's scope. A change is allowed only when everything it touches lies
// inside before the change and will lie inside after it.
//
// Where a facility lies is not only its registry entry: alerts, routing
// and delivery follow a facility's devices too, so a facility lies in the
// region of its entry and in the region of every device at it. A facility
// with a north entry and a south device lies in both, and a north-only
// token may neither see nor change it.

// footprint is what one object reaches.
type footprint struct {
	// everywhere: it reaches beyond any one region (a national contact, a
	// silence matching no place) or names a thing the registry does not
	// know. It never lies inside a region limit.
	everywhere bool
	// regions it names or lies in.
	regions []string
	// facilities it is tied to (routed to, silenced at); each must be
	// known to the registry and lie wholly inside.
	facilities []string
	// homes are facilities a change places the object at: one the registry
	// does not know yet is fine (the change puts it in regions); a known
	// one must lie wholly inside.
	homes []string
}

// errOutsideRegions is every refusal of a region limit (403). Its text
// names nothing the caller may not see.
var errOutsideRegions = i18n.Errorf("api.outside_regions")

// scope is the caller's region limit with, loaded on first need, where
// the registry says each facility and device lies.
type scope struct {
	p   *Principal
	ctx context.Context
	reg Registry

	loaded     bool
	err        error
	facilities map[string][]string // facility → every region it lies in
	devices    map[plant.DeviceID]plant.Device
}

func (s *server) scope(r *http.Request) *scope {
	return &scope{p: principal(r), ctx: r.Context(), reg: s.opt.Registry}
}

// allow is the check every change makes: nil when every footprint lies
// inside the caller's regions, an error wrapping errOutsideRegions when
// one does not, or the registry's error.
func (s *server) allow(r *http.Request, fps ...footprint) error {
	return s.scope(r).allow(fps...)
}

func (sc *scope) allow(fps ...footprint) error {
	if sc.inside(fps...) {
		return nil
	}
	if sc.err != nil {
		return sc.err
	}
	return errOutsideRegions
}

// inside reports whether every footprint lies inside the caller's regions.
// It fails closed: when the registry cannot be read, only what names
// regions alone can be inside.
func (sc *scope) inside(fps ...footprint) bool {
	if !sc.p.Limited() {
		return true
	}
	for _, fp := range fps {
		if fp.everywhere || !sc.seesAll(fp.regions) {
			return false
		}
		for _, f := range fp.facilities {
			regions, known := sc.facility(f)
			if !known || !sc.seesAll(regions) {
				return false
			}
		}
		for _, f := range fp.homes {
			if regions, known := sc.facility(f); known && !sc.seesAll(regions) {
				return false
			}
			if sc.err != nil {
				return false
			}
		}
	}
	return true
}

func (sc *scope) seesAll(regions []string) bool {
	for _, r := range regions {
		if !sc.p.Sees(r) {
			return false
		}
	}
	return true
}

// facility returns the regions facility id lies in, and whether the
// registry knows it (by an entry or a device).
func (sc *scope) facility(id string) ([]string, bool) {
	sc.load()
	regions, ok := sc.facilities[id]
	return regions, ok
}

// load reads facilities and devices once, fresh from the registry (not the
// device cache): a decision about access must not act on a stale copy.
func (sc *scope) load() {
	if sc.loaded {
		return
	}
	sc.loaded = true
	sc.facilities, sc.devices = map[string][]string{}, map[plant.DeviceID]plant.Device{}
	if sc.reg == nil {
		return
	}
	facs, err := sc.reg.Facilities(sc.ctx)
	if err != nil {
		sc.err = err
		return
	}
	devs, err := sc.reg.Devices(sc.ctx)
	if err != nil {
		sc.err = err
		return
	}
	add := func(f, region string) {
		if !slices.Contains(sc.facilities[f], region) {
			sc.facilities[f] = append(sc.facilities[f], region)
		}
	}
	for _, f := range facs {
		add(f.ID, f.Region)
	}
	for _, d := range devs {
		sc.devices[d.ID] = d
		if d.Facility != "" {
			add(d.Facility, d.Region)
		}
	}
}

// device is the footprint of a registered device: its region and its
// facility. A device the registry does not know is everywhere.
func (sc *scope) device(id plant.DeviceID) footprint {
	if !sc.p.Limited() {
		return footprint{}
	}
	sc.load()
	d, ok := sc.devices[id]
	if !ok {
		return footprint{everywhere: true}
	}
	return registered(d)
}

// existing is the footprint of the entry a device change replaces; none
// when the device is new.
func (sc *scope) existing(id plant.DeviceID) footprint {
	if !sc.p.Limited() {
		return footprint{}
	}
	sc.load()
	if d, ok := sc.devices[id]; ok {
		return registered(d)
	}
	if sc.err != nil {
		return footprint{everywhere: true} // unknown is not the same as new
	}
	return footprint{}
}

// registered is where a registered device lies.
func registered(d plant.Device) footprint {
	fp := footprint{regions: []string{d.Region}}
	if d.Facility != "" {
		fp.facilities = []string{d.Facility}
	}
	return fp
}

// placed is where a device entry puts the device.
func placed(d plant.Device) footprint {
	fp := footprint{regions: []string{d.Region}}
	if d.Facility != "" {
		fp.homes = []string{d.Facility}
	}
	return fp
}

// facilityEntry is where a facility entry puts the facility.
func facilityEntry(f plant.Facility) footprint {
	return footprint{regions: []string{f.Region}, homes: []string{f.ID}}
}

// contactReach is everything a contact is told about: the regions and
// facilities it is routed to; a contact with neither is national.
func contactReach(c Contact) footprint {
	return footprint{everywhere: len(c.Regions) == 0 && len(c.Facilities) == 0, regions: c.Regions, facilities: c.Facilities}
}

// silenceReach is what a silence mutes. Its matchers all must match, so
// the narrowest place matcher bounds it; one without a place matcher mutes
// every region.
func (sc *scope) silenceReach(x Silence) footprint {
	switch {
	case x.Region != "":
		return footprint{regions: []string{x.Region}}
	case x.Device != "":
		return sc.device(x.Device)
	case x.Facility != "":
		return footprint{facilities: []string{x.Facility}}
	}
	return footprint{everywhere: true}
}

// inRegion is the footprint of a thing that lies in one region (a device
// or alert as shown, a maintenance item).
func inRegion(region string) footprint { return footprint{regions: []string{region}} }
