package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/oxywatch/oxywatch/internal/testenv"
)

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

const rulesPath = "prometheus/rules/oxywatch.rules.yml"

func loadRules(t *testing.T) ruleFile {
	t.Helper()
	var rf ruleFile
	dec := yaml.NewDecoder(strings.NewReader(string(readFile(t, rulesPath))))
	dec.KnownFields(true)
	if err := dec.Decode(&rf); err != nil {
		t.Fatalf("%s: %v", rulesPath, err)
	}
	return rf
}

func TestPrometheusRulesAreWellFormed(t *testing.T) {
	rf := loadRules(t)
	seen := map[string]bool{}
	var alerts []string
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			if r.Alert == "" || r.Expr == "" {
				t.Errorf("group %s: a rule lacks alert or expr", g.Name)
			}
			if seen[r.Alert] {
				t.Errorf("alert %s is defined twice", r.Alert)
			}
			seen[r.Alert] = true
			if !slices.Contains([]string{"critical", "warning", "info"}, r.Labels["severity"]) {
				t.Errorf("alert %s: severity %q is not critical, warning or info", r.Alert, r.Labels["severity"])
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("alert %s has no summary", r.Alert)
			}
			if strings.Count(r.Expr, "(") != strings.Count(r.Expr, ")") || strings.Count(r.Expr, "{") != strings.Count(r.Expr, "}") {
				t.Errorf("alert %s: unbalanced brackets in %q", r.Alert, r.Expr)
			}
		}
	}
	// The four the issue asks for, by what they watch.
	for _, want := range []string{"OxyWatchBufferGrowing", "OxyWatchInfluxDBUnreachable", "OxyWatchSMSBudgetExhausted", "OxyWatchBrokerDisconnected"} {
		if !seen[want] {
			t.Errorf("no alert %s (have %v)", want, alerts)
		}
	}
	promtool, err := testenv.LookPath("promtool")
	if err != nil {
		if os.Getenv("OXYWATCH_REQUIRE_INTEGRATION") == "1" {
			t.Fatalf("%s not found: run `make deps` (it installs Debian package prometheus)", "promtool")
		}
		t.Log("NOT RUN: promtool check rules/config, because promtool is not installed (Debian package prometheus); the rules were only parsed as YAML and their metrics checked")
		return
	}
	run(t, deployDir(t), nil, promtool, "check", "rules", rulesPath)
	// The rules' own unit tests: each alert fires when it should and not before.
	out := run(t, filepath.Join(deployDir(t), "prometheus", "rules"), nil, promtool, "test", "rules", "oxywatch.rules.test.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool test rules:\n%s", out)
	}
	for _, conf := range []string{"prometheus/prometheus.yml", "compose/prometheus.yml"} {
		checkPromConfig(t, promtool, conf)
	}
}

// checkPromConfig runs promtool check config on a copy whose rule_files
// point at the rules in this checkout.
func checkPromConfig(t *testing.T, promtool, conf string) {
	t.Helper()
	src := string(readFile(t, conf))
	const installed = "/etc/prometheus/rules/oxywatch.rules.yml"
	if !strings.Contains(src, installed) {
		t.Errorf("%s does not load %s", conf, installed)
	}
	abs, _ := filepath.Abs(rulesPath)
	tmp := filepath.Join(t.TempDir(), "prometheus.yml")
	writeFile(t, tmp, []byte(strings.ReplaceAll(src, installed, abs)), 0o644)
	out := run(t, deployDir(t), nil, promtool, "check", "config", tmp)
	if !strings.Contains(out, "1 rules found") && !strings.Contains(out, "rules found") {
		t.Errorf("promtool check config %s: rules were not loaded:\n%s", conf, out)
	}
}

var (
	oxywatchMetric = regexp.MustCompile(`\boxywatch_[a-z0-9_]*[a-z0-9]\b`)
	promStrings    = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'[^']*'|`[^`]*`")
	promBraces     = regexp.MustCompile(`\{[^{}]*\}|\[[^\[\]]*\]`)
	promLabelList  = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	promDuration   = regexp.MustCompile(`\b(?:\d+(?:ms|[smhdwy]))+\b`)
	promNumber     = regexp.MustCompile(`\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b`)
	promGrafanaVar = regexp.MustCompile(`\$\{[^}]*\}|\$\w+`)
	promIdent      = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?`)
	promKeywords   = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true, "by": true, "without": true, "on": true, "ignoring": true}
)

// promSeriesNames returns the series a PromQL expression selects: what is
// left after strings, label matchers, ranges, label lists, numbers,
// keywords and function calls are taken out.
func promSeriesNames(expr string) []string {
	e := promGrafanaVar.ReplaceAllString(expr, "")
	e = promStrings.ReplaceAllString(e, `""`)
	for prev := ""; prev != e; {
		prev = e
		e = promBraces.ReplaceAllString(e, " ")
	}
	e = promLabelList.ReplaceAllString(e, " ")
	e = promDuration.ReplaceAllString(e, " ")
	e = promNumber.ReplaceAllString(e, " ")
	var names []string
	for _, m := range promIdent.FindAllStringSubmatch(e, -1) {
		if m[1] != "" || promKeywords[m[0]] {
			continue // a function or aggregation call, or an operator
		}
		names = append(names, m[0])
	}
	return names
}

func TestPromSeriesNames(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`up{job="oxywatch"} == 0`, []string{"up"}},
		{`sum by (instance, reason) (rate(oxywatch_ingest_rejected_total{reason!~"a|b"}[15m])) > 0.1`, []string{"oxywatch_ingest_rejected_total"}},
		{`oxywatch_buffer_bytes > 5e9 and on (instance) oxywatch_mqtt_connected == 1`, []string{"oxywatch_buffer_bytes", "oxywatch_mqtt_connected"}},
		{`histogram_quantile(0.99, sum by (le) (rate(oxywatch_store_write_duration_seconds_bucket[$__rate_interval])))`, []string{"oxywatch_store_write_duration_seconds_bucket"}},
		{`oxywatch_alerts{instance=~"$instance"} offset 1h`, []string{"oxywatch_alerts"}},
	} {
		if got := promSeriesNames(tc.expr); !slices.Equal(got, tc.want) {
			t.Errorf("promSeriesNames(%q): got %v, want %v", tc.expr, got, tc.want)
		}
	}
}

// metricUse is a metric named by a deploy file.
type metricUse struct {
	name, where string
}

// deployMetricUses lists every series the Prometheus rules and the Grafana
// dashboards select, and every oxywatch_ name anywhere in them (annotations
// run queries too).
func deployMetricUses(t *testing.T) []metricUse {
	t.Helper()
	var uses []metricUse
	add := func(where string, names ...string) {
		for _, n := range names {
			uses = append(uses, metricUse{n, where})
		}
	}
	rf := loadRules(t)
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			add(rulesPath+" "+r.Alert, promSeriesNames(r.Expr)...)
		}
	}
	add(rulesPath, oxywatchMetric.FindAllString(string(readFile(t, rulesPath)), -1)...)
	for _, d := range loadDashboards(t) {
		for _, q := range d.queries {
			if q.datasource == promUID {
				add(d.file+" "+q.panel, promSeriesNames(q.text)...)
			}
		}
		add(d.file, oxywatchMetric.FindAllString(string(d.raw), -1)...)
	}
	return uses
}

// Series Prometheus makes itself for each target.
var prometheusOwn = map[string]bool{"up": true, "scrape_duration_seconds": true, "scrape_samples_scraped": true}

// externalBrokerOnly are exported only with mqtt.url set: they count the
// subscriber connections to an external broker, which the live oxywatch
// (embedded broker, the default path) does not have.
var externalBrokerOnly = map[string]bool{"oxywatch_mqtt_connection_lost_total": true, "oxywatch_mqtt_not_durable_total": true}

// checkMetricUses fails for every metric a rule or dashboard names that the
// live oxywatch does not export.
func checkMetricUses(t *testing.T, live map[string]float64) {
	uses := deployMetricUses(t)
	if len(uses) < 10 {
		t.Fatalf("found only %d metric uses in rules and dashboards; the scan is broken", len(uses))
	}
	for _, u := range uses {
		if _, ok := live[u.name]; !ok && !prometheusOwn[u.name] && !externalBrokerOnly[u.name] {
			t.Errorf("%s names %s, which a live oxywatch does not export", u.where, u.name)
		}
	}
}
