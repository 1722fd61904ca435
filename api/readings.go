package api

import (
	"net/http"
	"time"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
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
		return time.Time{}, i18n.Errorf("field.bad_time", s)
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
		notConfigured(w, r, "api.part.readings_history")
		return
	}
	d, ok := s.device(w, r)
	if !ok {
		return
	}
	q, err := s.readingsQuery(r, d.ID)
	if err != nil {
		problemErr(w, r, http.StatusBadRequest, err)
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
			return q, &i18n.FieldError{Field: "to", Err: err}
		}
	}
	q.From = q.To.Add(-24 * time.Hour)
	if f := v.Get("from"); f != "" {
		if q.From, err = parseTime(f); err != nil {
			return q, &i18n.FieldError{Field: "from", Err: err}
		}
	}
	span := q.To.Sub(q.From)
	if span <= 0 || span > maxReadingSpan {
		return q, i18n.Errorf("api.bad_span", int(maxReadingSpan/(24*time.Hour)))
	}
	q.Every = niceEvery(span)
	if e := v.Get("every"); e != "" {
		if q.Every, err = time.ParseDuration(e); err != nil || q.Every < time.Second {
			return q, i18n.Errorf("api.bad_every", e)
		}
		if span/q.Every > maxPoints {
			return q, i18n.Errorf("api.too_many_points", e, maxPoints)
		}
	}
	return q, nil
}

// HistoryFields are the reading fields the history returns.
var HistoryFields = []string{plant.FieldPurity, plant.FieldPressure, plant.FieldFlow, plant.FieldRuntime, plant.FieldTemp,
	plant.FieldDewPoint, plant.FieldSupplyV, plant.FieldCylindersFilled, plant.FieldTankPressure, plant.FieldBattery, plant.FieldRSSI}
