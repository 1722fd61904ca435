package report

import (
	"context"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// TimelineSource gives each device's status intervals overlapping [from, to).
// Intervals keep their true Start and End, which may lie outside the span;
// they need not be sorted. The returned slices belong to the caller, which
// may reorder them. A device with no interval is no_data throughout.
type TimelineSource interface {
	Timelines(ctx context.Context, devices []plant.DeviceID, from, to time.Time) (map[plant.DeviceID][]plant.StatusInterval, error)
}

// TimelineFunc adapts a function to TimelineSource.
type TimelineFunc func(ctx context.Context, devices []plant.DeviceID, from, to time.Time) (map[plant.DeviceID][]plant.StatusInterval, error)

// Timelines calls f.
func (f TimelineFunc) Timelines(ctx context.Context, devices []plant.DeviceID, from, to time.Time) (map[plant.DeviceID][]plant.StatusInterval, error) {
	return f(ctx, devices, from, to)
}

// Registry lists the devices and facilities reports cover.
type Registry interface {
	Devices(ctx context.Context) ([]plant.Device, error)
	Facilities(ctx context.Context) ([]plant.Facility, error)
}

// RetiredDevice is a device removed from the registry at RetiredAt.
type RetiredDevice struct {
	Device    plant.Device
	RetiredAt time.Time
}

// RetirementSource is optionally implemented by a Registry that remembers
// deleted devices, so a report covers them up to their retirement.
type RetirementSource interface {
	Retired(ctx context.Context, from, to time.Time) ([]RetiredDevice, error)
}

// ProductionSource gives oxygen produced and cylinders filled per device.
// *influx.Client is the one the application uses.
type ProductionSource interface {
	Production(ctx context.Context, q ProductionQuery) (map[plant.DeviceID]Production, error)
}

// ProductionQuery asks for production per device and local day
// (plant.ProductionQuery).
type ProductionQuery = plant.ProductionQuery

// Production is what one device produced in a period (plant.Production).
type Production = plant.Production

// DayProduction is one local day's production (plant.DayProduction).
type DayProduction = plant.DayProduction

// MaintenanceDue is a component due for service (plant.MaintenanceItem).
type MaintenanceDue = plant.MaintenanceItem

// ProductionFunc adapts a function to ProductionSource.
type ProductionFunc func(ctx context.Context, q ProductionQuery) (map[plant.DeviceID]Production, error)

// Production calls f.
func (f ProductionFunc) Production(ctx context.Context, q ProductionQuery) (map[plant.DeviceID]Production, error) {
	return f(ctx, q)
}
