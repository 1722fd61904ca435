package store

import (
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// TestRegistryUseAndPoint: use and measurement_point are stored, read back
// with the defaults filled in (by kind when empty, also for a device first
// seen unregistered), kept for a retired device, and validated naming the
// field.
func TestRegistryUseAndPoint(t *testing.T) {
	db, err := OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
	reg, err := OpenRegistry(t.Context(), db, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	put := func(d plant.Device) {
		t.Helper()
		if _, err := reg.Put(t.Context(), d); err != nil {
			t.Fatal(err)
		}
	}
	put(plant.Device{ID: "fill-1", Kind: plant.KindPSA, Use: plant.UseCylinderFilling, MeasurementPoint: plant.PointBufferTank})
	put(plant.Device{ID: "psa-1", Kind: plant.KindPSA})
	put(plant.Device{ID: "conc-1", Kind: plant.KindConcentrator})
	reg.AddUnknown("new-1", now)
	if err := reg.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := map[plant.DeviceID][2]string{
		"fill-1": {"cylinder_filling", "buffer_tank"}, "psa-1": {"pipeline", "outlet"},
		"conc-1": {"bedside", "outlet"}, "new-1": {"pipeline", "outlet"},
	}
	list, err := reg.Devices(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range list {
		if got := [2]string{string(d.Use), string(d.MeasurementPoint)}; got != want[d.ID] {
			t.Errorf("%s listed with %v, want %v", d.ID, got, want[d.ID])
		}
		if c, _ := reg.Device(d.ID); c.UseOrDefault() != d.Use || c.PointOrDefault() != d.MeasurementPoint {
			t.Errorf("%s cached with %q/%q, listed with %q/%q", d.ID, c.Use, c.MeasurementPoint, d.Use, d.MeasurementPoint)
		}
	}
	// Reopened from the file: the same.
	reg2, err := OpenRegistry(t.Context(), db, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := reg2.Device("fill-1"); d.Use != plant.UseCylinderFilling || d.MeasurementPoint != plant.PointBufferTank {
		t.Errorf("after reopening: %q/%q", d.Use, d.MeasurementPoint)
	}
	// A kind changed with no use given takes the new kind's default.
	put(plant.Device{ID: "psa-1", Kind: plant.KindConcentrator})
	if d, _ := reg.Device("psa-1"); d.Use != plant.UseBedside {
		t.Errorf("psa-1 made a concentrator: use %q, want bedside", d.Use)
	}
	if err := reg.Delete(t.Context(), "fill-1"); err != nil {
		t.Fatal(err)
	}
	retired, err := reg.Retired(t.Context(), now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil || len(retired) != 1 || retired[0].Device.Use != plant.UseCylinderFilling || retired[0].Device.MeasurementPoint != plant.PointBufferTank {
		t.Errorf("retired: %+v (%v), want fill-1 with its use and point", retired, err)
	}
	for _, tc := range []struct {
		d    plant.Device
		want string
	}{
		{plant.Device{ID: "x", Kind: plant.KindPSA, Use: "party"}, "use: unknown use \"party\""},
		{plant.Device{ID: "x", Kind: plant.KindPSA, MeasurementPoint: "roof"}, "measurement_point: unknown measurement_point \"roof\""},
	} {
		if _, err := reg.Put(t.Context(), tc.d); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("put %+v: %v, want an error saying %q", tc.d, err, tc.want)
		}
	}
}
