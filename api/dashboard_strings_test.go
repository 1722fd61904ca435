package api

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// TestDashboardStringsDefined: every text id the dashboard asks for is in
// the message catalogue (internal/i18n, served as /ui/i18n/{lang}.json),
// including those built from the API's values (statuses, kinds, states,
// rules); internal/i18n's tests keep it in English, French and Portuguese.
func TestDashboardStringsDefined(t *testing.T) {
	defined := map[string]bool{}
	for id := range i18n.Web(i18n.English) {
		defined[id] = true
	}
	used := map[string]string{} // id -> file
	uses := regexp.MustCompile(`\b(?:t|has)\("([a-z0-9_.]+)"|data-s(?:-label)?="([a-z0-9_.]+)"|\bS\["([a-z0-9_.]+)"\]`)
	files, _ := fs.Glob(webFiles, "web/*")
	for _, name := range files {
		if name == "web/strings.js" || !(strings.HasSuffix(name, ".js") || strings.HasSuffix(name, ".html")) {
			continue
		}
		b, err := fs.ReadFile(webFiles, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range uses.FindAllStringSubmatch(string(b), -1) {
			id := m[1] + m[2] + m[3]
			if !strings.HasSuffix(id, ".") && !strings.HasSuffix(id, "_") {
				used[id] = name
			}
		}
	}
	if len(used) < 100 {
		t.Fatalf("found only %d text ids in the dashboard's files; is the pattern still right?", len(used))
	}
	for id, file := range used {
		if !defined[id] {
			t.Errorf("%s asks for text %q, which the catalogue (internal/i18n/web_en.go) does not define", file, id)
		}
	}
	// Ids built from what the API answers.
	var built []string
	for _, s := range plant.Statuses {
		built = append(built, "status."+string(s), "filter.all_status")
	}
	for _, k := range plant.Kinds {
		built = append(built, "kind."+string(k))
	}
	for _, s := range []string{"running", "standby", "fault", "off", "maintenance"} {
		built = append(built, "state."+s)
	}
	for _, p := range []string{"mains", "generator", "battery", "solar", "none"} {
		built = append(built, "power."+p)
	}
	for _, s := range []string{"critical", "warning", "info"} {
		built = append(built, "severity."+s)
	}
	for _, s := range []string{"firing", "acknowledged", "resolved"} {
		built = append(built, "alert_state."+s, "alert_state_filter."+s)
	}
	for _, s := range []string{"pending", "sent", "failed", "suppressed"} {
		built = append(built, "delivery."+s)
	}
	for _, c := range []string{"sms", "email", "webhook"} {
		built = append(built, "channel."+c)
	}
	for _, e := range []string{"firing", "escalation", "repeat", "acknowledged", "resolved"} {
		built = append(built, "told.event."+e, "delivery_event."+e)
	}
	for _, r := range []string{"offline", "critical_purity", "low_purity", "low_pressure", "high_pressure", "no_flow", "overload",
		"device_fault", "power_loss", "maintenance_due", "purity_declining", "facility_outage", "clock_skew", "sensor_stuck"} {
		built = append(built, "rule."+r+".name", "step."+r)
	}
	for _, r := range []string{"viewer", "engineer", "admin"} {
		built = append(built, "role."+r)
	}
	for _, r := range []string{"1h", "6h", "24h", "7d", "30d"} {
		built = append(built, "range."+r)
	}
	for _, id := range built {
		if !defined[id] {
			t.Errorf("the catalogue has no dashboard text %q for a value the API gives", id)
		}
	}
}
