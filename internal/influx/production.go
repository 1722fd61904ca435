package influx

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/influxdata/influxdb-client-go/v2/api/query"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// maxDeviceFilter is the most devices named in a query; beyond it the query
// reads every device and the answer is filtered here.
const maxDeviceFilter = 200

// counterLookback is how far before the period the cylinder counter is read,
// so the first fill of the period has a previous value to count from.
const counterLookback = 24 * time.Hour

// ProductionFlux is the Flux query for q against bucket. It answers one row
// per device and local day in two results:
//
//   - "m3": each flow_lpm reading counts for the time since the device's
//     previous reading, at most q.MaxGap, while the device reports state
//     running or no state; L/min × min → m3 (÷ 1000).
//   - "cylinders": the sum of the non-negative increases of the cumulative
//     cylinders_filled counter (a reset counts from zero).
//
// Days are cut at local midnight with the zone offset in force at q.From
// (report zones in the target countries keep one offset all year).
func ProductionFlux(bucket string, q plant.ProductionQuery) string {
	start := q.From.UTC().Format(time.RFC3339Nano)
	stop := q.To.UTC().Format(time.RFC3339Nano)
	lookback := q.From.Add(-max(counterLookback, q.MaxGap)).UTC().Format(time.RFC3339Nano)
	var b strings.Builder
	fmt.Fprintf(&b, "start = %s\nstop = %s\n\n", start, stop)
	fmt.Fprintf(&b, "data = from(bucket: %s)\n", fluxString(bucket))
	fmt.Fprintf(&b, "  |> range(start: %s, stop: stop)\n", lookback)
	fmt.Fprintf(&b, "  |> filter(fn: (r) => r._measurement == %s)\n", fluxString(Measurement))
	if ids := q.Devices; len(ids) > 0 && len(ids) <= maxDeviceFilter {
		fmt.Fprintf(&b, "  |> filter(fn: (r) => contains(value: r.device, set: %s))\n", fluxStrings(ids))
	}
	fmt.Fprintf(&b, `
data
  |> filter(fn: (r) => r._field == "flow_lpm" or r._field == "state")
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> filter(fn: (r) => exists r.flow_lpm)
  |> group(columns: ["device"])
  |> sort(columns: ["_time"])
  |> elapsed(unit: 1s)
  |> filter(fn: (r) => r._time >= start)
  |> map(fn: (r) => ({
      _time: r._time,
      device: r.device,
      _value: if not exists r.state or r.state == "running"
        then r.flow_lpm * float(v: if r.elapsed > %[1]d then %[1]d else r.elapsed) / 60000.0
        else 0.0,
    }))
  |> window(every: 1d, offset: %[2]ds)
  |> sum()
  |> yield(name: "m3")

data
  |> filter(fn: (r) => r._field == "cylinders_filled")
  |> group(columns: ["device"])
  |> sort(columns: ["_time"])
  |> difference(nonNegative: true)
  |> filter(fn: (r) => r._time >= start)
  |> window(every: 1d, offset: %[2]ds)
  |> sum()
  |> yield(name: "cylinders")
`, int64(q.MaxGap/time.Second), dayOffset(q.From, q.Loc))
	return b.String()
}

// dayOffset is the window offset, in seconds, that puts day boundaries at
// local midnight.
func dayOffset(t time.Time, loc *time.Location) int64 {
	if loc == nil {
		loc = time.UTC
	}
	_, off := t.In(loc).Zone()
	return ((int64(-off) % 86400) + 86400) % 86400
}

// fluxString quotes s as a Flux string literal (every query here quotes
// with it: a Flux string also interpolates ${...}).
func fluxString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`, "${", `\${`)
	return `"` + r.Replace(s) + `"`
}

func fluxStrings(ids []plant.DeviceID) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fluxString(string(id))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// Production reads production per device and local day from the client's
// bucket (InfluxDB 2.x, Cloud, or 1.8 with Flux enabled): fields flow_lpm,
// state and cylinders_filled of Measurement, tag device (CONTRACT §4). It
// runs ProductionFlux and collects its rows per device; the report package
// takes it as its ProductionSource.
func (in *Client) Production(ctx context.Context, q plant.ProductionQuery) (map[plant.DeviceID]plant.Production, error) {
	res, err := in.Query(ctx, ProductionFlux(in.Bucket(), q))
	if err != nil {
		return nil, fmt.Errorf("production query: %w", err)
	}
	defer res.Close()
	want := deviceSet(q.Devices)
	acc := map[plant.DeviceID]map[string]*plant.DayProduction{}
	for res.Next() {
		addRecord(acc, res.Record(), q.Loc, want)
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("production query: %w", err)
	}
	return collect(acc), nil
}

func deviceSet(ids []plant.DeviceID) map[plant.DeviceID]bool {
	if len(ids) == 0 {
		return nil
	}
	m := make(map[plant.DeviceID]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func addRecord(acc map[plant.DeviceID]map[string]*plant.DayProduction, rec *query.FluxRecord, loc *time.Location, want map[plant.DeviceID]bool) {
	dev, _ := rec.ValueByKey("device").(string)
	id := plant.DeviceID(dev)
	v, ok := number(rec.Value())
	if dev == "" || !ok || (want != nil && !want[id]) {
		return
	}
	if loc == nil {
		loc = time.UTC
	}
	// the middle of the window names its local day, whatever the offset
	day := rec.Start().Add(12 * time.Hour).In(loc).Format(time.DateOnly)
	days := acc[id]
	if days == nil {
		days = map[string]*plant.DayProduction{}
		acc[id] = days
	}
	d := days[day]
	if d == nil {
		d = &plant.DayProduction{Day: day}
		days[day] = d
	}
	switch rec.Result() {
	case "m3":
		d.M3 += v
	case "cylinders":
		d.Cylinders += v
	}
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

func collect(acc map[plant.DeviceID]map[string]*plant.DayProduction) map[plant.DeviceID]plant.Production {
	out := make(map[plant.DeviceID]plant.Production, len(acc))
	for id, days := range acc {
		var p plant.Production
		for _, d := range days {
			p.M3 += d.M3
			p.Cylinders += d.Cylinders
			p.Days = append(p.Days, *d)
		}
		sortDays(p.Days)
		out[id] = p
	}
	return out
}

func sortDays(days []plant.DayProduction) {
	slices.SortFunc(days, func(a, b plant.DayProduction) int { return strings.Compare(a.Day, b.Day) })
}
