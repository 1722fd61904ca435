package plant

import "time"

// ProductionQuery asks for production per device and local day.
type ProductionQuery struct {
	From, To time.Time
	Loc      *time.Location // day boundaries
	Devices  []DeviceID
	// MaxGap is the longest time one flow reading counts for: a reading's
	// flow is taken to hold since the previous reading, at most MaxGap.
	MaxGap time.Duration
}

// Production is what one device produced in a period.
type Production struct {
	M3        float64         `json:"m3"`
	Cylinders float64         `json:"cylinders"`
	Days      []DayProduction `json:"days,omitempty"`
}

// DayProduction is one local day's production; days absent produced nothing.
type DayProduction struct {
	Day       string  `json:"day"` // 2006-01-02 in the report zone
	M3        float64 `json:"m3"`
	Cylinders float64 `json:"cylinders"`
}
