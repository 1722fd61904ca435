package store

import (
	"errors"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// A deleted device leaves the registry but stays listed as retired for the
// periods it existed in, so reports keep counting it there.
func TestDeleteRetiresDevice(t *testing.T) {
	db, err := OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	reg, err := OpenRegistry(t.Context(), db, clock)
	if err != nil {
		t.Fatal(err)
	}
	dev := plant.Device{ID: "psa-001", Kind: plant.KindPSA, Facility: "mbale-rrh", Region: "east", Country: "UG", RatedFlowLPM: 500}
	if _, err := reg.Put(t.Context(), dev); err != nil {
		t.Fatal(err)
	}
	now = now.Add(48 * time.Hour)
	if err := reg.Delete(t.Context(), "psa-001"); err != nil {
		t.Fatal(err)
	}
	if _, ok := reg.Device("psa-001"); ok {
		t.Error("deleted device still in the cache")
	}
	if _, err := reg.Get(t.Context(), "psa-001"); !errors.Is(err, ErrNotFound) {
		t.Errorf("get after delete: %v, want ErrNotFound", err)
	}
	if err := reg.Delete(t.Context(), "psa-001"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}

	nov := func(day int) time.Time { return time.Date(2026, 11, day, 0, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		name     string
		from, to time.Time
		want     int
	}{
		{"the month it lived and died in", nov(1), nov(30), 1},
		{"before it was created", nov(1), nov(5), 0},
		{"after it was retired", nov(20), nov(30), 0},
	} {
		got, err := reg.Retired(t.Context(), c.from, c.to)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != c.want {
			t.Errorf("%s: %d retired devices, want %d", c.name, len(got), c.want)
			continue
		}
		if c.want == 1 {
			r := got[0]
			if r.Device.Facility != "mbale-rrh" || r.Device.RatedFlowLPM != 500 || !r.RetiredAt.Equal(now) || !r.Device.CreatedAt.Equal(nov(10).Add(12*time.Hour)) {
				t.Errorf("%s: %+v", c.name, r)
			}
		}
	}
}
