package store

import (
	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// useMigrations give devices what their oxygen is for and where their
// values are measured (issue 15): they choose the device's alert
// thresholds. A component of its own so it never collides with the
// registry's list. Empty is the default (the kind's use, the outlet).
var useMigrations = []string{
	`ALTER TABLE devices ADD COLUMN use TEXT NOT NULL DEFAULT '';
	ALTER TABLE devices ADD COLUMN measurement_point TEXT NOT NULL DEFAULT '';
	ALTER TABLE retired_devices ADD COLUMN use TEXT NOT NULL DEFAULT '';
	ALTER TABLE retired_devices ADD COLUMN measurement_point TEXT NOT NULL DEFAULT '';`,
}

// withDefaults fills an empty use and measurement point with the defaults,
// so every device the registry answers names what judges it.
func withDefaults(d plant.Device) plant.Device {
	d.Use, d.MeasurementPoint = d.UseOrDefault(), d.PointOrDefault()
	return d
}

// validateUse checks the device's use and measurement point, naming the
// bad one; empty is the default.
func validateUse(d plant.Device) error {
	if d.Use != "" {
		if _, err := plant.ParseUse(string(d.Use)); err != nil {
			return &i18n.FieldError{Field: "use", Err: err}
		}
	}
	if d.MeasurementPoint != "" {
		if _, err := plant.ParsePoint(string(d.MeasurementPoint)); err != nil {
			return &i18n.FieldError{Field: "measurement_point", Err: err}
		}
	}
	return nil
}
