package plant

import "github.com/oxywatch/oxywatch/internal/i18n"

// Use is what a device's oxygen is for. It chooses the threshold set that
// judges the device's purity: a PSA plant filling cylinders through a
// booster needs Oxygen 93 (at least 93 %, critical below 90 %: the
// cylinders would be unusable), one feeding a pipeline is judged by the
// kind's defaults.
type Use string

const (
	UsePipeline        Use = "pipeline"         // feeds a hospital pipeline or a ward directly
	UseCylinderFilling Use = "cylinder_filling" // fills cylinders through a booster
	UseBedside         Use = "bedside"          // one patient at a time (a concentrator)
)

// Uses lists every valid use.
var Uses = []Use{UsePipeline, UseCylinderFilling, UseBedside}

// ParseUse returns the use named s or an error naming the accepted values.
func ParseUse(s string) (Use, error) {
	for _, u := range Uses {
		if string(u) == s {
			return u, nil
		}
	}
	return "", i18n.Errorf("field.unknown_value.use", s)
}

// DefaultUse is the use of a device of kind k whose registry entry names
// none: bedside for a concentrator, pipeline for everything else.
func DefaultUse(k Kind) Use {
	if k == KindConcentrator {
		return UseBedside
	}
	return UsePipeline
}

// Point is where a device's purity and pressure are measured. The
// pressures that are normal differ by point: a PSA plant's buffer tank runs
// at about 6–8 bar, its outlet at about 4–6 bar.
type Point string

const (
	PointOutlet          Point = "outlet"           // the product outlet (CONTRACT §3's default)
	PointBufferTank      Point = "buffer_tank"      // the oxygen buffer (receiver) tank after the beds
	PointPipeline        Point = "pipeline"         // the hospital pipeline after the pressure regulator
	PointFillingManifold Point = "filling_manifold" // the booster's cylinder filling manifold
)

// Points lists every valid measurement point.
var Points = []Point{PointOutlet, PointBufferTank, PointPipeline, PointFillingManifold}

// ParsePoint returns the measurement point named s or an error naming the
// accepted values.
func ParsePoint(s string) (Point, error) {
	for _, p := range Points {
		if string(p) == s {
			return p, nil
		}
	}
	return "", i18n.Errorf("field.unknown_value.point", s)
}

// DefaultPoint is the measurement point of a device whose registry entry
// names none.
const DefaultPoint = PointOutlet

// UseOrDefault is the device's use, or its kind's default when the
// registry names none.
func (d *Device) UseOrDefault() Use {
	if d.Use == "" {
		return DefaultUse(d.Kind)
	}
	return d.Use
}

// PointOrDefault is the device's measurement point, or outlet when the
// registry names none.
func (d *Device) PointOrDefault() Point {
	if d.MeasurementPoint == "" {
		return DefaultPoint
	}
	return d.MeasurementPoint
}
