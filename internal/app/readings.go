package app

import (
	"context"

	"github.com/oxywatch/oxywatch/api"
	"github.com/oxywatch/oxywatch/internal/influx"
)

// readings serves the API's history from InfluxDB.
type readings struct{ c *influx.Client }

func (r readings) Readings(ctx context.Context, q api.ReadingsQuery) ([]api.Point, error) {
	ws, err := r.c.Means(ctx, string(q.Device), api.HistoryFields, q.From, q.To, q.Every)
	out := make([]api.Point, len(ws))
	for i, w := range ws {
		out[i] = api.Point{Time: w.Time, Values: w.Values}
	}
	return out, err
}
