package api

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// twoPages reads path (which has a query already) with limit=2, then the
// page its cursor points to, and checks the first holds want[:2] with a
// cursor and the second want[2:] without one. want has three ids, in the
// list's order.
func twoPages[T any](t *testing.T, f *fixture, who, path string, id func(T) string, want []string) {
	t.Helper()
	ids := func(items []T) []string {
		out := []string{}
		for _, x := range items {
			out = append(out, id(x))
		}
		return out
	}
	var first, second List[T]
	f.ok(who, "GET", path+"&limit=2", nil, &first)
	if got := ids(first.Items); !slices.Equal(got, want[:2]) || first.Next == "" {
		t.Fatalf("first page: got %v next %q, want %v and a cursor", got, first.Next, want[:2])
	}
	f.ok(who, "GET", path+"&limit=2&cursor="+url.QueryEscape(first.Next), nil, &second)
	if got := ids(second.Items); !slices.Equal(got, want[2:]) || second.Next != "" {
		t.Fatalf("second page: got %v next %q, want %v and no cursor", got, second.Next, want[2:])
	}
	for _, q := range []string{"&limit=0", "&cursor=%25%25"} {
		wantProblem(t, f.do(who, "GET", path+q, nil), http.StatusBadRequest)
	}
}

// A device's functional status history pages like every collection,
// newest first (by the date it was found so, then the later record).
func TestFunctionalHistoryPages(t *testing.T) {
	f := newFixture(t)
	var want []string // newest first
	for _, in := range []FunctionalRequest{
		{Status: "functional", At: "2026-11-20"},
		{Status: "non_functional", At: "2026-11-22"},
		{Status: "under_repair", At: "2026-11-22"}, // the same day: the later record first
	} {
		var rec plant.FunctionalRecord
		f.ok("engineer", "POST", "/api/v1/devices/n-con-2/functional", in, &rec)
		want = append([]string{itoa(rec.ID)}, want...)
	}
	twoPages(t, f, "viewer", "/api/v1/devices/n-con-2/functional?", func(r plant.FunctionalRecord) string { return itoa(r.ID) }, want)
}

// A storage device's stock history pages the same way.
func TestStockHistoryPages(t *testing.T) {
	f := newFixture(t)
	if _, err := f.reg.Put(t.Context(), plant.Device{ID: "n-lox-1", Kind: plant.KindLOXTank, Facility: "f-north", Region: "north", Country: "UG"}); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, in := range []StockRequest{
		{Litres: new(9000.0), At: "2026-11-21"},
		{Litres: new(8000.0), At: "2026-11-19"}, // recorded later, found earlier: listed last
		{Cylinders: new(1.0), At: "2026-11-22"},
	} {
		var rec plant.StockRecord
		f.ok("engineer", "POST", "/api/v1/devices/n-lox-1/stock", in, &rec)
		want = append(want, itoa(rec.ID))
	}
	want = []string{want[2], want[0], want[1]} // by date, newest first
	twoPages(t, f, "viewer", "/api/v1/devices/n-lox-1/stock?", func(r plant.StockRecord) string { return itoa(r.ID) }, want)
}

// The device tokens page the same way, oldest first (the store's order),
// with the device filter.
func TestDeviceTokensPage(t *testing.T) {
	f := newFixture(t)
	for _, devs := range [][]string{{"n-psa-1"}, {"s-psa-1"}, {"n-con-2", "n-psa-1"}, {"n-psa-1"}} {
		f.ok("admin", "POST", "/api/v1/device-tokens", map[string]any{"devices": devs, "name": "t"}, nil)
	}
	var all List[store.DeviceToken]
	f.ok("admin", "GET", "/api/v1/device-tokens?device=n-psa-1", nil, &all)
	var want []string
	for _, tok := range all.Items {
		want = append(want, tok.ID)
	}
	if len(want) != 3 || all.Next != "" {
		t.Fatalf("unpaged: got %v next %q, want the 3 tokens of n-psa-1", want, all.Next)
	}
	twoPages(t, f, "admin", "/api/v1/device-tokens?device=n-psa-1", func(tok store.DeviceToken) string { return tok.ID }, want)
}
