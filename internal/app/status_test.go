package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/alerting"
	"github.com/oxywatch/oxywatch/api"
	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// TestStatusAgrees: the API's device status, the timeline's status at the
// same instant and the open alerts tell one story (CONTRACT §6). The API
// and the timeline once had two implementations that disagreed: a PSA
// plant at 78 % O2 with a critical alert showed amber, one with a critical
// device alarm showed green.
func TestStatusAgrees(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	now := t0
	clock := func() time.Time { return now }
	db, err := store.OpenSQLiteFile(filepath.Join(t.TempDir(), "oxywatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	devs, err := store.OpenRegistry(ctx, db, clock)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := alerting.New(ctx, alerting.Options{DB: db, Registerer: prometheus.NewRegistry(), Lookup: devs.Device, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	fleet := ingest.NewFleet()
	h := api.New(api.Options{
		Gatherer: prometheus.NewRegistry(), Ready: func(context.Context) error { return nil },
		AdminToken: "admin-secret", Registry: devs, Live: fleet, Status: engineStatus(eng), Now: clock, RateLimit: -1,
	})

	type reading struct {
		state  plant.State
		power  plant.Power
		purity float64
		alarms []string
	}
	good := reading{plant.StateRunning, plant.PowerMains, 93, nil}
	cases := []struct {
		name      string
		r         reading
		silent    bool // reports once, then nothing
		want      plant.Status
		wantAlert string // the rule of an open critical alert; "" none
		use       plant.Use
	}{
		{"healthy plant", good, false, plant.StatusOperational, "", ""},
		{"plant at 88 %", reading{plant.StateRunning, plant.PowerMains, 88, nil}, false, plant.StatusDegraded, "", ""},
		{"plant at 78 %", reading{plant.StateRunning, plant.PowerMains, 78, nil}, false, plant.StatusDown, alerting.RuleCriticalPurity, ""},
		{"critical device alarm", reading{plant.StateRunning, plant.PowerMains, 93, []string{"compressor_trip"}}, false, plant.StatusDown, alerting.RuleDeviceFault, ""},
		{"warning device alarm", reading{plant.StateRunning, plant.PowerMains, 93, []string{"dryer_fault"}}, false, plant.StatusOperational, "", ""},
		{"no power", reading{plant.StateRunning, plant.PowerNone, 93, nil}, false, plant.StatusDown, "", ""},
		{"offline", good, true, plant.StatusNoData, alerting.RuleOffline, ""},
		// a plant filling cylinders is judged by Oxygen 93: critical below 90 %
		{"cylinder filling at 89 %", reading{plant.StateRunning, plant.PowerMains, 89, nil}, false, plant.StatusDown, alerting.RuleCriticalPurity, plant.UseCylinderFilling},
		{"cylinder filling at 91 %", reading{plant.StateRunning, plant.PowerMains, 91, nil}, false, plant.StatusDegraded, "", plant.UseCylinderFilling},
		{"pipeline at 91 %", reading{plant.StateRunning, plant.PowerMains, 91, nil}, false, plant.StatusOperational, "", plant.UsePipeline},
	}
	ids := make([]plant.DeviceID, len(cases))
	for i := range cases {
		ids[i] = plant.DeviceID(string(rune('a'+i)) + "-psa")
		d := plant.Device{ID: ids[i], Kind: plant.KindPSA, Facility: "f-" + string(ids[i]), Region: "north", Country: "UG",
			RatedFlowLPM: 500, ReportIntervalS: 60, Use: cases[i].use}
		if _, err := devs.Put(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	for step := range 6 {
		now = t0.Add(time.Duration(step) * time.Minute)
		for i, tc := range cases {
			if tc.silent && step > 0 {
				continue
			}
			r := plant.Reading{Device: ids[i], Time: now, State: tc.r.state, Power: tc.r.power, Alarms: tc.r.alarms,
				Values: plant.Values{Purity: plant.Float(tc.r.purity + float64(step)/100), Flow: plant.Float(400), Pressure: plant.Float(5)}}
			fleet.Reading(&r, now)
			eng.ObserveReading(r, true)
		}
		eng.Tick()
	}
	if err := eng.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	timelines, err := eng.Timelines(ctx, ids, t0, now.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			apiSt := apiStatus(t, h, ids[i])
			lineSt := statusAt(timelines[ids[i]], now)
			if apiSt != tc.want || lineSt != tc.want {
				t.Errorf("API status %s, timeline status %s; want both %s", apiSt, lineSt, tc.want)
			}
			alerts, err := eng.Alerts(ctx, alerting.AlertFilter{Device: string(ids[i]), State: string(plant.AlertFiring), Severity: string(plant.SeverityCritical)})
			if err != nil {
				t.Fatal(err)
			}
			var rules []string
			for _, a := range alerts {
				rules = append(rules, a.Rule)
			}
			if tc.wantAlert != "" && (len(rules) != 1 || rules[0] != tc.wantAlert) {
				t.Errorf("critical alerts %q, want [%s]", rules, tc.wantAlert)
			}
			if tc.want == plant.StatusOperational && len(rules) > 0 {
				t.Errorf("operational with critical alerts %q", rules)
			}
		})
	}
}

func apiStatus(t *testing.T, h http.Handler, id plant.DeviceID) plant.Status {
	t.Helper()
	req := httptest.NewRequest("GET", "/api/v1/devices/"+string(id), nil)
	req.Header.Set("Authorization", "Bearer admin-secret")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var d plant.Device
	if err := json.Unmarshal(rec.Body.Bytes(), &d); rec.Code != http.StatusOK || err != nil {
		t.Fatalf("GET device %s: %d %s", id, rec.Code, rec.Body)
	}
	return d.Status
}

// statusAt is the status of the interval that holds t.
func statusAt(ivs []plant.StatusInterval, t time.Time) plant.Status {
	for _, iv := range ivs {
		if !iv.Start.After(t) && (iv.End.IsZero() || iv.End.After(t)) {
			return iv.Status
		}
	}
	return ""
}
