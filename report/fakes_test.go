package report

import (
	"context"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// fakeRegistry is an in-memory registry.
type fakeRegistry struct {
	devices    []plant.Device
	facilities []plant.Facility
	retired    []RetiredDevice
	functional []plant.FunctionalRecord
	stock      []plant.StockRecord
}

// LatestFunctional makes fakeRegistry a FieldRecordSource.
func (f *fakeRegistry) LatestFunctional(_ context.Context, at time.Time) (map[plant.DeviceID]plant.FunctionalRecord, error) {
	out := map[plant.DeviceID]plant.FunctionalRecord{}
	for _, r := range f.functional {
		if !r.At.After(at) && !r.At.Before(out[r.Device].At) {
			out[r.Device] = r
		}
	}
	return out, nil
}

func (f *fakeRegistry) LatestStock(_ context.Context, at time.Time) (map[plant.DeviceID]plant.StockRecord, error) {
	out := map[plant.DeviceID]plant.StockRecord{}
	for _, r := range f.stock {
		if !r.At.After(at) && !r.At.Before(out[r.Device].At) {
			out[r.Device] = r
		}
	}
	return out, nil
}

func (f *fakeRegistry) Devices(context.Context) ([]plant.Device, error) { return f.devices, nil }
func (f *fakeRegistry) Facilities(context.Context) ([]plant.Facility, error) {
	return f.facilities, nil
}

// retiringRegistry also reports retired devices.
type retiringRegistry struct{ *fakeRegistry }

func (r retiringRegistry) Retired(context.Context, time.Time, time.Time) ([]RetiredDevice, error) {
	return r.retired, nil
}

// mapTimelines serves fixed timelines, copying so callers may sort them.
type mapTimelines map[plant.DeviceID][]plant.StatusInterval

func (m mapTimelines) Timelines(_ context.Context, ids []plant.DeviceID, _, _ time.Time) (map[plant.DeviceID][]plant.StatusInterval, error) {
	out := make(map[plant.DeviceID][]plant.StatusInterval, len(ids))
	for _, id := range ids {
		out[id] = append([]plant.StatusInterval(nil), m[id]...)
	}
	return out, nil
}

// utc parses "2026-11-10 06:00" as UTC.
func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func iv(status plant.Status, start, end, cause string) plant.StatusInterval {
	out := plant.StatusInterval{Status: status, Start: utc(start), Cause: cause}
	if end != "" {
		out.End = utc(end)
	}
	return out
}

func fixedNow(t time.Time) func() time.Time { return func() time.Time { return t } }

func kampala() *time.Location {
	loc, err := time.LoadLocation("Africa/Kampala")
	if err != nil {
		panic(err)
	}
	return loc
}
