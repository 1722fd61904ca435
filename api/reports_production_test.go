package api

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/influx"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/report"
)

// reporterReports serves the API's Reports from a real report.Reporter, as
// the application's adapter does.
type reporterReports struct{ r *report.Reporter }

func (a reporterReports) Uptime(ctx context.Context, q ReportQuery) (Report, error) {
	rq, err := a.r.ParseQuery(q.From, q.To, q.Group, q.Regions)
	if err != nil {
		return nil, err
	}
	return a.r.Uptime(ctx, rq)
}

func (a reporterReports) Supply(ctx context.Context, q ReportQuery) (Report, error) {
	rq, err := a.r.ParseQuery(q.From, q.To, q.Group, q.Regions)
	if err != nil {
		return nil, err
	}
	return a.r.Supply(ctx, rq)
}

// deadURL is an address nothing listens on.
func deadURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// With InfluxDB down, the supply report answers 503 with Retry-After and
// says that uptime reports still work; the uptime report does work.
func TestReportSupplyWithoutInfluxIs503(t *testing.T) {
	client := influx.New(influx.Options{URL: deadURL(t), Bucket: "oxywatch/autogen", Timeout: 5 * time.Second})
	t.Cleanup(client.Close)
	f := newFixture(t, func(o *Options) {
		tl := report.TimelineFunc(func(context.Context, []plant.DeviceID, time.Time, time.Time) (map[plant.DeviceID][]plant.StatusInterval, error) {
			return nil, nil
		})
		o.Reports = reporterReports{report.New(o.Registry.(report.Registry), tl, client, report.Options{Loc: time.UTC, Now: o.Now})}
	})
	for _, id := range []plant.DeviceID{"n-psa-1", "n-con-2", "s-psa-1"} {
		d, err := f.reg.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		d.CommissionedAt = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		if _, err := f.reg.Put(t.Context(), d); err != nil {
			t.Fatal(err)
		}
	}
	rec := f.do("viewer", "GET", "/api/v1/supply?from=2026-11-01&to=2026-12-01", nil)
	p := wantProblem(t, rec, http.StatusServiceUnavailable)
	if rec.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After on the 503")
	}
	if !strings.Contains(p.Detail, "/api/v1/reports/uptime") || !strings.Contains(p.Detail, "still work") {
		t.Errorf("detail %q does not say uptime reports still work", p.Detail)
	}
	if !strings.Contains(f.logs.String(), "supply report without production figures") {
		t.Errorf("the cause is not logged: %s", f.logs)
	}
	rec = f.do("viewer", "GET", "/api/v1/reports/uptime?from=2026-11-01&to=2026-12-01", nil)
	var up report.UptimeReport
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &up) != nil || up.Total.Devices != 3 {
		t.Errorf("uptime without InfluxDB: %d %.200s", rec.Code, rec.Body)
	}
}
