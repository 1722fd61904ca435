package app

import (
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/api"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/testenv"
	"github.com/oxywatch/oxywatch/report"
)

// TestWorkOrderFromAlertToReport follows a repair through the real server:
// a plant in fault raises an alert, an engineer opens its work order (once,
// however often asked) and closes it with the cause, and the repairs report
// gives its repair time as the mean time to repair.
func TestWorkOrderFromAlertToReport(t *testing.T) {
	s := newStack(t)
	cfg := s.config(t, t.TempDir())
	cfg.AdminToken = "e2e-admin-token-0123456789abcdef"
	a := startApp(t, cfg)
	c := client{t: t, base: "http://" + a.HTTPAddr, token: cfg.AdminToken}
	if code := c.do("PUT", "/api/v1/devices/psa-wo-1", plant.Device{Kind: plant.KindPSA, Facility: "gulu-rrh", Region: "north", Country: "UG", ReportIntervalS: 60}, nil); code >= 300 {
		t.Fatalf("put device: %d", code)
	}
	p := newPublisher(t, s.mq.URL, "psa-wo-1")
	pub(t, p, "o2/psa-wo-1/telemetry", fmt.Sprintf(`{"ts":%d,"purity_pct":60,"flow_lpm":0,"state":"fault","alarms":["compressor_fault"]}`, time.Now().UnixMilli()))
	var firing struct{ Items []plant.Alert }
	testenv.Eventually(t, 20*time.Second, "a firing alert for psa-wo-1", func() bool {
		c.do("GET", "/api/v1/alerts?device=psa-wo-1&state=firing", nil, &firing)
		return len(firing.Items) > 0
	})
	al := firing.Items[0]
	var wo, again api.WorkOrderJSON
	if code := c.do("POST", fmt.Sprintf("/api/v1/alerts/%d/work-order", al.ID), nil, &wo); code != http.StatusCreated {
		t.Fatalf("open: %d", code)
	}
	if code := c.do("POST", fmt.Sprintf("/api/v1/alerts/%d/work-order", al.ID), nil, &again); code != http.StatusOK || again.ID != wo.ID {
		t.Errorf("second open: %d, work order %d; want 200 and %d", code, again.ID, wo.ID)
	}
	if wo.Fault != al.Rule || !wo.OpenedAt.Equal(al.StartedAt) || wo.DeviceID != "psa-wo-1" || wo.Region != "north" {
		t.Errorf("work order %+v from alert %+v", wo, al)
	}
	var done api.WorkOrderJSON
	if code := c.do("POST", fmt.Sprintf("/api/v1/work-orders/%d/close", wo.ID), map[string]any{"cause": "compressor_fault: valve",
		"parts": []map[string]any{{"name": "valve plate", "quantity": 1}}}, &done); code != http.StatusOK {
		t.Fatalf("close: %d", code)
	}
	repair := done.RestoredAt.Sub(done.OpenedAt).Hours()

	var rep report.RepairReport
	today := time.Now().In(cfg.Report.Location())
	q := fmt.Sprintf("/api/v1/reports/repairs?group=region&from=%s&to=%s", today.Format(time.DateOnly), today.AddDate(0, 0, 1).Format(time.DateOnly))
	if code := c.do("GET", q, nil, &rep); code != http.StatusOK {
		t.Fatalf("repairs report: %d", code)
	}
	tot := rep.Total
	if tot.WorkOrdersClosed != 1 || tot.MTTRH == nil || math.Abs(*tot.MTTRH-repair) > 0.001 ||
		len(tot.TopCauses) != 1 || tot.TopCauses[0].Cause != "compressor_fault" || tot.TopCauses[0].Label != "compressor fault" {
		t.Errorf("report total %+v, want 1 closed with MTTR %.4f h from compressor fault", tot, repair)
	}
}
