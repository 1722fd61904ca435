package influx

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Window is the mean of each numeric field of one device over one window,
// stamped with the window's end.
type Window struct {
	Time   time.Time
	Values map[string]float64
}

// MeansFlux is the query behind Means: the mean of each of fields per
// window of every, one row per window with a column per field. Tags are
// dropped first so a device that moved facility still gives one series. It
// runs on InfluxDB 1.8 (flux-enabled) and 2.x alike.
func MeansFlux(bucket, device string, fields []string, from, to time.Time, every time.Duration) string {
	match := make([]string, len(fields))
	for i, f := range fields {
		match[i] = `r._field == ` + fluxString(f)
	}
	if every <= 0 {
		every = time.Second
	}
	return fmt.Sprintf(`from(bucket: %s)
  |> range(start: %s, stop: %s)
  |> filter(fn: (r) => r._measurement == %s and r.device == %s)
  |> filter(fn: (r) => %s)
  |> keep(columns: ["_start", "_stop", "_time", "_value", "_field", "_measurement"])
  |> aggregateWindow(every: %ds, fn: mean, createEmpty: false)
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`,
		fluxString(bucket), from.UTC().Format(time.RFC3339Nano), to.UTC().Format(time.RFC3339Nano),
		fluxString(Measurement), fluxString(device), strings.Join(match, " or "), int64(every/time.Second))
}

// Means runs MeansFlux on the client's bucket and returns the windows in
// time order; string fields are left out.
func (c *Client) Means(ctx context.Context, device string, fields []string, from, to time.Time, every time.Duration) ([]Window, error) {
	res, err := c.Query(ctx, MeansFlux(c.Bucket(), device, fields, from, to, every))
	if err != nil {
		return nil, fmt.Errorf("query readings of %s: %w", device, err)
	}
	defer res.Close()
	byTime := map[time.Time]map[string]float64{}
	for res.Next() {
		rec := res.Record()
		t := rec.Time().UTC()
		vals, ok := byTime[t]
		if !ok {
			vals = map[string]float64{}
			byTime[t] = vals
		}
		for _, f := range fields {
			if v, ok := rec.ValueByKey(f).(float64); ok {
				vals[f] = v
			}
		}
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("read readings of %s: %w", device, err)
	}
	out := make([]Window, 0, len(byTime))
	for t, v := range byTime {
		out = append(out, Window{Time: t, Values: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out, nil
}
