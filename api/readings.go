package api

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	influxapi "github.com/influxdata/influxdb-client-go/v2/api"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

const (
	maxClockSkew   = 5 * time.Minute
	maxReadingSpan = 400 * 24 * time.Hour
	maxPoints      = 5000
	targetPoints   = 300
)

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time such as 2026-11-01T08:00:00Z", s)
	}
	return t.UTC(), nil
}

// niceEvery is the smallest of a few round windows that keeps span within
// about targetPoints points.
func niceEvery(span time.Duration) time.Duration {
	for _, d := range []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute,
		30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour} {
		if span/d <= targetPoints {
			return d
		}
	}
	return 7 * 24 * time.Hour
}

// ReadingsAnswer is the body of GET /devices/{id}/readings. Items are
// objects {"ts": ..., "purity_pct": ..., ...} ordered by time.
type ReadingsAnswer struct {
	Device plant.DeviceID   `json:"device"`
	From   time.Time        `json:"from"`
	To     time.Time        `json:"to"`
	Every  string           `json:"every"`
	Items  []map[string]any `json:"items"`
}

func (s *server) readings(w http.ResponseWriter, r *http.Request) {
	if s.opt.Readings == nil {
		notConfigured(w, r, "readings history (InfluxDB)")
		return
	}
	d, ok := s.device(w, r)
	if !ok {
		return
	}
	q, err := s.readingsQuery(r, d.ID)
	if err != nil {
		problem(w, r, http.StatusBadRequest, err.Error())
		return
	}
	points, err := s.opt.Readings.Readings(r.Context(), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ans := ReadingsAnswer{Device: d.ID, From: q.From, To: q.To, Every: q.Every.String(), Items: make([]map[string]any, 0, len(points))}
	for _, p := range points {
		item := make(map[string]any, len(p.Values)+1)
		item["ts"] = p.Time.UTC()
		for k, v := range p.Values {
			item[k] = v
		}
		ans.Items = append(ans.Items, item)
	}
	writeJSON(w, http.StatusOK, ans)
}

func (s *server) readingsQuery(r *http.Request, id plant.DeviceID) (ReadingsQuery, error) {
	v := r.URL.Query()
	q := ReadingsQuery{Device: id, To: s.opt.Now().UTC()}
	var err error
	if t := v.Get("to"); t != "" {
		if q.To, err = parseTime(t); err != nil {
			return q, fmt.Errorf("to: %w", err)
		}
	}
	q.From = q.To.Add(-24 * time.Hour)
	if f := v.Get("from"); f != "" {
		if q.From, err = parseTime(f); err != nil {
			return q, fmt.Errorf("from: %w", err)
		}
	}
	span := q.To.Sub(q.From)
	if span <= 0 || span > maxReadingSpan {
		return q, fmt.Errorf("to must be after from, at most %d days later", maxReadingSpan/(24*time.Hour))
	}
	q.Every = niceEvery(span)
	if e := v.Get("every"); e != "" {
		if q.Every, err = time.ParseDuration(e); err != nil || q.Every < time.Second {
			return q, fmt.Errorf("every %q must be a duration of at least 1s such as 5m or 1h", e)
		}
		if span/q.Every > maxPoints {
			return q, fmt.Errorf("every %s gives more than %d points over this period; use a longer one", e, maxPoints)
		}
	}
	return q, nil
}

// numericFields are the reading fields the history returns.
var numericFields = []string{plant.FieldPurity, plant.FieldPressure, plant.FieldFlow, plant.FieldRuntime, plant.FieldTemp,
	plant.FieldDewPoint, plant.FieldSupplyV, plant.FieldCylindersFilled, plant.FieldTankPressure, plant.FieldBattery, plant.FieldRSSI}

// InfluxReadings reads history from InfluxDB with Flux that runs on 1.8
// (flux-enabled) and 2.x alike.
type InfluxReadings struct {
	Query  func(ctx context.Context, flux string) (*influxapi.QueryTableResult, error)
	Bucket string
}

// NewInfluxReadings reads from in's bucket.
func NewInfluxReadings(in *store.Influx) *InfluxReadings {
	return &InfluxReadings{Query: in.Query, Bucket: in.Bucket()}
}

// ReadingsFlux is the query behind Readings: the mean of each numeric field
// per window, one row per window with a column per field. Tags are dropped
// first so a device that moved facility still gives one series.
func ReadingsFlux(bucket string, q ReadingsQuery) string {
	fields := make([]string, len(numericFields))
	for i, f := range numericFields {
		fields[i] = `r._field == "` + f + `"`
	}
	every := q.Every
	if every <= 0 {
		every = time.Second
	}
	return fmt.Sprintf(`from(bucket: %s)
  |> range(start: %s, stop: %s)
  |> filter(fn: (r) => r._measurement == "o2_reading" and r.device == %s)
  |> filter(fn: (r) => %s)
  |> keep(columns: ["_start", "_stop", "_time", "_value", "_field", "_measurement"])
  |> aggregateWindow(every: %ds, fn: mean, createEmpty: false)
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`,
		strconv.Quote(bucket), q.From.UTC().Format(time.RFC3339Nano), q.To.UTC().Format(time.RFC3339Nano),
		strconv.Quote(string(q.Device)), strings.Join(fields, " or "), int64(every/time.Second))
}

// Readings runs ReadingsFlux and merges its rows by time.
func (ir *InfluxReadings) Readings(ctx context.Context, q ReadingsQuery) ([]Point, error) {
	res, err := ir.Query(ctx, ReadingsFlux(ir.Bucket, q))
	if err != nil {
		return nil, fmt.Errorf("query readings of %s: %w", q.Device, err)
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
		for _, f := range numericFields {
			if v, ok := rec.ValueByKey(f).(float64); ok {
				vals[f] = v
			}
		}
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("read readings of %s: %w", q.Device, err)
	}
	out := make([]Point, 0, len(byTime))
	for t, v := range byTime {
		out = append(out, Point{Time: t, Values: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out, nil
}
