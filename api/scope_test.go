package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// TestRegionLimitedAdminCannotTakeOverAFacility replays issue 13 finding 1:
// a north-only admin moved a south clinic (known only from its devices, no
// facility entry) to the north, then made itself a contact of it. Every
// change a region-limited token makes must leave every object it touches
// inside the token's regions, before and after the change.
func TestRegionLimitedAdminCannotTakeOverAFacility(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.reg.Put(ctx, plant.Device{ID: "s-con-9", Kind: plant.KindConcentrator, Facility: "f-clinic", Region: "south"}); err != nil {
		t.Fatal(err)
	}
	const who = "north-admin"
	later := testNow.Add(2 * 3600e9)
	refused := []struct {
		name, method, path string
		body               any
	}{
		{"move the clinic north", "PUT", "/api/v1/facilities/f-clinic", map[string]any{"name": "Clinic", "region": "north"}},
		{"a north device at the clinic", "PUT", "/api/v1/devices/n-new", map[string]any{"kind": "psa", "region": "north", "facility": "f-clinic"}},
		{"move a north device to the clinic", "PUT", "/api/v1/devices/n-con-2", map[string]any{"kind": "concentrator", "region": "north", "facility": "f-clinic"}},
		{"a north device at a south facility", "PUT", "/api/v1/devices/n-new", map[string]any{"kind": "psa", "region": "north", "facility": "f-south"}},
		{"a contact of the clinic", "POST", "/api/v1/contacts", map[string]any{"name": "Mallory", "phone": "+256772000099", "facilities": []string{"f-clinic"}}},
		{"a north contact of a south facility", "POST", "/api/v1/contacts", map[string]any{"name": "Mallory", "phone": "+256772000099", "regions": []string{"north"}, "facilities": []string{"f-south"}}},
		{"a contact of an unknown facility", "POST", "/api/v1/contacts", map[string]any{"name": "Mallory", "phone": "+256772000099", "facilities": []string{"f-nowhere"}}},
		{"a north contact routed to the clinic", "PUT", "/api/v1/contacts/1", map[string]any{"name": "Grace (north)", "phone": "+256772000001", "regions": []string{"north"}, "facilities": []string{"f-clinic"}}},
		{"silence the clinic", "POST", "/api/v1/silences", map[string]any{"facility": "f-clinic", "ends_at": later, "comment": "x"}},
		{"silence the clinic's device", "POST", "/api/v1/silences", map[string]any{"device": "s-con-9", "ends_at": later, "comment": "x"}},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			wantProblem(t, f.do(who, c.method, c.path, c.body), http.StatusForbidden)
		})
	}
	var res ImportResult
	f.ok(who, "POST", "/api/v1/devices/import", "id,kind,facility,region\nn-imp,psa,f-clinic,north\n", &res)
	if res.Rejected != 1 || len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error, "outside") {
		t.Errorf("import of a north device at the clinic: got %+v, want the row refused", res)
	}

	// Nothing of the south changed.
	if _, found, _ := findFacility(f, "f-clinic"); found {
		t.Error("the clinic got a facility entry")
	}
	for _, id := range []plant.DeviceID{"n-new", "n-imp"} {
		if _, err := f.reg.Get(ctx, id); err == nil {
			t.Errorf("device %s was created at a south facility", id)
		}
	}
	if d, _ := f.reg.Get(ctx, "n-con-2"); d.Facility != "f-north" {
		t.Errorf("n-con-2 moved to %q", d.Facility)
	}
	cs, _ := f.contacts.List(ctx)
	if len(cs) != 3 || len(cs[0].Facilities) != 0 {
		t.Errorf("contacts changed: %+v", cs)
	}

	// Inside its regions the north admin still works.
	f.ok(who, "PUT", "/api/v1/devices/n-new", map[string]any{"kind": "psa", "region": "north", "facility": "f-north"}, nil)
	f.ok(who, "POST", "/api/v1/contacts", map[string]any{"name": "Ann", "phone": "+256772000098", "facilities": []string{"f-north"}}, nil)
	f.ok(who, "PUT", "/api/v1/facilities/f-north2", map[string]any{"name": "New north HC", "region": "north"}, nil)
}

// TestRegionLimitedReadsOfMixedFacilities: a facility whose entry says north
// but which has a south device belongs to both regions, so a north token
// sees neither it, nor its deliveries, nor contacts routed to it; and a
// delivery to a contact the token may not see does not show its address.
func TestRegionLimitedReadsOfMixedFacilities(t *testing.T) {
	var deliveries []Delivery
	f := newFixture(t, func(o *Options) {
		o.Deliveries = func(context.Context, DeliveryFilter) ([]Delivery, error) { return slices.Clone(deliveries), nil }
	})
	ctx := context.Background()
	if _, err := f.reg.Put(ctx, plant.Device{ID: "s-con-9", Kind: plant.KindConcentrator, Facility: "f-clinic", Region: "south"}); err != nil {
		t.Fatal(err)
	}
	// An unlimited admin gives the clinic a north entry; its device stays south.
	f.ok("admin", "PUT", "/api/v1/facilities/f-clinic", map[string]any{"name": "Clinic", "region": "north"}, nil)
	var sam, desk Contact
	f.ok("admin", "POST", "/api/v1/contacts", Contact{Name: "Sam (south engineer)", Phone: "+256772000077", Regions: []string{"south"}, Facilities: []string{"f-north"}}, &sam)
	f.ok("admin", "POST", "/api/v1/contacts", Contact{Name: "Clinic desk", Phone: "+256772000078", Facilities: []string{"f-clinic"}}, &desk)
	grace, peter := int64(1), int64(2)
	deliveries = []Delivery{
		{ID: 13, AlertID: 7, Event: "firing", Facility: "f-clinic", ContactID: &peter, Recipient: "Peter (south)", Channel: "sms", Address: "+256772000002", State: "sent"},
		{ID: 12, AlertID: 7, Event: "firing", Facility: "f-clinic", ContactID: &desk.ID, Recipient: "Clinic desk", Channel: "sms", Address: "+256772000078", State: "sent"},
		{ID: 11, AlertID: 1, Event: "firing", Facility: "f-north", ContactID: &sam.ID, Recipient: "Sam (south engineer)", Channel: "sms", Address: "+256772000077", State: "sent"},
		{ID: 10, AlertID: 1, Event: "firing", Facility: "f-north", ContactID: &grace, Recipient: "Grace (north)", Channel: "sms", Address: "+256772000001", State: "sent"},
		{ID: 9, AlertID: 1, Event: "firing", Facility: "f-north", Recipient: "webhook", Channel: "webhook", Address: "webhook", State: "sent"},
	}
	const who = "north-engineer"
	for _, path := range []string{"/api/v1/deliveries", "/api/v1/contacts", "/api/v1/facilities"} {
		body := f.do(who, "GET", path, nil).Body.String()
		for _, leak := range []string{"f-clinic", "Clinic desk", "+256772000002", "+256772000077", "+256772000078", "Sam", "Peter"} {
			if strings.Contains(body, leak) {
				t.Errorf("GET %s leaks %q: %s", path, leak, body)
			}
		}
	}
	var dl List[Delivery]
	f.ok(who, "GET", "/api/v1/deliveries", nil, &dl)
	if len(dl.Items) != 3 || dl.Items[0].ID != 11 || dl.Items[0].Address != "" || dl.Items[1].Address != "+256772000001" {
		t.Errorf("north deliveries: got %+v, want ids 11 (address hidden), 10, 9", dl.Items)
	}
	for _, path := range []string{"/api/v1/facilities/f-clinic", fmt.Sprintf("/api/v1/contacts/%d", sam.ID), fmt.Sprintf("/api/v1/contacts/%d", desk.ID)} {
		t.Run(path, func(t *testing.T) { wantProblem(t, f.do(who, "GET", path, nil), http.StatusForbidden) })
	}
	f.ok("engineer", "GET", "/api/v1/deliveries", nil, &dl)
	if len(dl.Items) != 5 || dl.Items[2].Address != "+256772000077" {
		t.Errorf("an unlimited token: got %+v, want all five with addresses", dl.Items)
	}
}

func findFacility(f *fixture, id string) (plant.Facility, bool, error) {
	all, err := f.reg.Facilities(context.Background())
	for _, x := range all {
		if x.ID == id {
			return x, true, err
		}
	}
	return plant.Facility{}, false, err
}

// A delivery to a contact a region-limited token may not see names no one
// in the reader's language, and shows no address.
func TestHiddenRecipientInTheReadersLanguage(t *testing.T) {
	peter := int64(2) // the fixture's south contact
	f := newFixture(t, func(o *Options) {
		o.Deliveries = func(context.Context, DeliveryFilter) ([]Delivery, error) {
			return []Delivery{{ID: 1, AlertID: 1, Event: "firing", Facility: "f-north", ContactID: &peter,
				Recipient: "Peter (south)", Channel: "sms", Address: "+256772000002", State: "sent"}}, nil
		}
	})
	for lang, want := range map[string]string{
		"fr-FR,fr;q=0.9": "un contact hors de vos régions",
		"pt":             "um contacto fora das suas regiões",
		"en":             "a contact outside your regions",
	} {
		rec := f.doIn(lang, "north-engineer", "GET", "/api/v1/deliveries", nil)
		var dl List[Delivery]
		if err := json.Unmarshal(rec.Body.Bytes(), &dl); rec.Code != http.StatusOK || err != nil {
			t.Fatalf("%s: got %d %s (%v)", lang, rec.Code, rec.Body, err)
		}
		if len(dl.Items) != 1 || dl.Items[0].Recipient != want || dl.Items[0].Address != "" {
			t.Errorf("%s: got %+v, want recipient %q and no address", lang, dl.Items, want)
		}
		if !slices.Contains(rec.Header().Values("Vary"), "Accept-Language") {
			t.Errorf("%s: no Vary: Accept-Language on an answer that depends on it", lang)
		}
	}
}
