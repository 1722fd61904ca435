package deploy

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const (
	influxUID = "oxywatch-influxdb"
	promUID   = "oxywatch-prometheus"
)

// CONTRACT §4: what OxyWatch writes to InfluxDB.
var (
	contractMeasurement = "o2_reading"
	contractTags        = []string{"device", "kind", "facility", "region", "country"}
	contractFields      = []string{"purity_pct", "pressure_bar", "flow_lpm", "runtime_h",
		"temp_c", "dew_point_c", "supply_v", "cylinders_filled", "tank_pressure_bar", "battery_pct", "rssi_dbm",
		"state", "power"}
	// Columns every Flux table has besides tags and fields.
	fluxColumns = []string{"_time", "_value", "_field", "_measurement", "_start", "_stop"}
)

type query struct {
	panel      string // panel title, or "variable NAME"
	datasource string // data source uid
	text       string // Flux or PromQL
}

type dashboard struct {
	file      string
	raw       []byte
	uid       string
	variables []string
	queries   []query
	panels    int
}

type panelJSON struct {
	Title      string `json:"title"`
	Type       string `json:"type"`
	Datasource *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	GridPos *struct{ X, Y, W, H int } `json:"gridPos"`
	Targets []struct {
		RefID      string `json:"refId"`
		Query      string `json:"query"`
		Expr       string `json:"expr"`
		Datasource *struct {
			UID string `json:"uid"`
		} `json:"datasource"`
	} `json:"targets"`
	Panels []panelJSON `json:"panels"` // rows
}

func loadDashboards(t *testing.T) []dashboard {
	t.Helper()
	files, err := filepath.Glob("grafana/dashboards/*.json")
	if err != nil || len(files) < 4 {
		t.Fatalf("want at least 4 dashboards in grafana/dashboards, got %v (%v)", files, err)
	}
	var out []dashboard
	for _, f := range files {
		raw := readFile(t, f)
		var d struct {
			UID        string      `json:"uid"`
			Title      string      `json:"title"`
			Panels     []panelJSON `json:"panels"`
			Templating struct {
				List []struct {
					Name       string `json:"name"`
					Type       string `json:"type"`
					Query      any    `json:"query"`
					Datasource *struct {
						UID string `json:"uid"`
					} `json:"datasource"`
				} `json:"list"`
			} `json:"templating"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		db := dashboard{file: f, raw: raw, uid: d.UID}
		if d.UID == "" || d.Title == "" {
			t.Errorf("%s: uid and title are required", f)
		}
		for _, v := range d.Templating.List {
			db.variables = append(db.variables, v.Name)
			if v.Type == "query" {
				q, _ := v.Query.(string)
				db.queries = append(db.queries, query{"variable " + v.Name, v.Datasource.UID, q})
			}
		}
		var walk func(ps []panelJSON)
		walk = func(ps []panelJSON) {
			for _, p := range ps {
				db.panels++
				if p.GridPos == nil || p.GridPos.W == 0 || p.GridPos.H == 0 {
					t.Errorf("%s: panel %q has no size", f, p.Title)
				}
				for _, tg := range p.Targets {
					ds := ""
					if p.Datasource != nil {
						ds = p.Datasource.UID
					}
					if tg.Datasource != nil {
						ds = tg.Datasource.UID
					}
					text := tg.Query
					if ds == promUID {
						text = tg.Expr
					}
					db.queries = append(db.queries, query{p.Title, ds, text})
				}
				walk(p.Panels)
			}
		}
		walk(d.Panels)
		out = append(out, db)
	}
	return out
}

var (
	fluxMeasurement = regexp.MustCompile(`r\._measurement\s*==\s*"([^"]*)"`)
	fluxField       = regexp.MustCompile(`r\._field\s*==\s*"([^"]*)"|r\["_field"\]\s*==\s*"([^"]*)"`)
	fluxRecordCol   = regexp.MustCompile(`r\.([A-Za-z_][A-Za-z0-9_]*)|r\["([^"]+)"\]`)
	fluxColumnLists = regexp.MustCompile(`(?:columns|rowKey|columnKey)\s*:\s*\[([^\]]*)\]|column\s*:\s*"([^"]*)"`)
	fluxVarRef      = regexp.MustCompile(`\$\{(\w+)\}|\$(\w+)`)
)

func TestDashboardsReferenceOnlyTheContract(t *testing.T) {
	dashboards := loadDashboards(t)
	uids := map[string]string{}
	var fluxQueries, promQueries int
	for _, d := range dashboards {
		if other, dup := uids[d.uid]; dup {
			t.Errorf("%s and %s share uid %s", d.file, other, d.uid)
		}
		uids[d.uid] = d.file
		for _, q := range d.queries {
			where := fmt.Sprintf("%s, %s", d.file, q.panel)
			if strings.TrimSpace(q.text) == "" {
				t.Errorf("%s: empty query", where)
				continue
			}
			for _, m := range fluxVarRef.FindAllStringSubmatch(q.text, -1) {
				name := m[1] + m[2]
				if !strings.HasPrefix(name, "__") && !slices.Contains(d.variables, name) {
					t.Errorf("%s: uses $%s, which the dashboard does not define (has %v)", where, name, d.variables)
				}
			}
			switch q.datasource {
			case influxUID:
				fluxQueries++
				checkFlux(t, where, q.text)
			case promUID:
				promQueries++ // metric names are checked against a live oxywatch
			default:
				t.Errorf("%s: data source %q is neither %s nor %s", where, q.datasource, influxUID, promUID)
			}
		}
	}
	if fluxQueries < 15 || promQueries < 10 {
		t.Errorf("found %d Flux and %d PromQL queries; the dashboards lost panels or the scan is broken", fluxQueries, promQueries)
	}
}

// checkFlux fails unless the query reads measurement o2_reading and names
// only fields, tags and columns of CONTRACT §4.
func checkFlux(t *testing.T, where, q string) {
	t.Helper()
	for _, p := range fluxProblems(q) {
		t.Errorf("%s: %s", where, p)
	}
}

func fluxProblems(q string) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	ms := fluxMeasurement.FindAllStringSubmatch(q, -1)
	if len(ms) == 0 {
		bad("Flux query does not filter on r._measurement == %q:\n%s", contractMeasurement, q)
	}
	for _, m := range ms {
		if m[1] != contractMeasurement {
			bad("measurement %q, want %q", m[1], contractMeasurement)
		}
	}
	fields := fluxField.FindAllStringSubmatch(q, -1)
	if len(fields) == 0 {
		bad("Flux query names no field")
	}
	for _, m := range fields {
		if f := m[1] + m[2]; !slices.Contains(contractFields, f) {
			bad("field %q is not in CONTRACT §4 (%v)", f, contractFields)
		}
	}
	known := func(col string) bool {
		return slices.Contains(contractTags, col) || slices.Contains(contractFields, col) || slices.Contains(fluxColumns, col)
	}
	for _, m := range fluxRecordCol.FindAllStringSubmatch(q, -1) {
		if col := m[1] + m[2]; !known(col) {
			bad("r.%s is neither a tag nor a field of CONTRACT §4", col)
		}
	}
	for _, m := range fluxColumnLists.FindAllStringSubmatch(q, -1) {
		list := m[1]
		if m[2] != "" {
			list = `"` + m[2] + `"`
		}
		for _, c := range strings.Split(list, ",") {
			c = strings.Trim(strings.TrimSpace(c), `"`)
			if c != "" && !known(c) {
				bad("column %q is neither a tag nor a field of CONTRACT §4", c)
			}
		}
	}
	return problems
}

func TestCheckFluxCatchesStrangers(t *testing.T) {
	good := `from(bucket: "b") |> filter(fn: (r) => r._measurement == "o2_reading" and r._field == "flow_lpm") |> group(columns: ["region"])`
	if p := fluxProblems(good); len(p) != 0 {
		t.Errorf("fluxProblems(%s): %v, want none", good, p)
	}
	for _, q := range []string{
		`from(bucket: "b") |> filter(fn: (r) => r._measurement == "o2" and r._field == "purity_pct")`,
		`from(bucket: "b") |> filter(fn: (r) => r._measurement == "o2_reading" and r._field == "purity")`,
		`from(bucket: "b") |> filter(fn: (r) => r._measurement == "o2_reading" and r._field == "flow_lpm" and r.site == "x")`,
		`from(bucket: "b") |> filter(fn: (r) => r._measurement == "o2_reading" and r._field == "flow_lpm") |> group(columns: ["district"])`,
		`from(bucket: "b") |> filter(fn: (r) => r._field == "flow_lpm")`,
	} {
		if len(fluxProblems(q)) == 0 {
			t.Errorf("fluxProblems accepted %s", q)
		}
	}
}

func TestGrafanaProvisioning(t *testing.T) {
	var ds struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name     string         `yaml:"name"`
			UID      string         `yaml:"uid"`
			Type     string         `yaml:"type"`
			URL      string         `yaml:"url"`
			JSONData map[string]any `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(readFile(t, "grafana/provisioning/datasources/oxywatch.yaml"), &ds); err != nil {
		t.Fatal(err)
	}
	byUID := map[string]string{}
	for _, d := range ds.Datasources {
		byUID[d.UID] = d.Type
		if d.Type == "influxdb" && d.JSONData["version"] != "Flux" {
			t.Errorf("data source %s: jsonData.version %v, want Flux", d.UID, d.JSONData["version"])
		}
	}
	if byUID[influxUID] != "influxdb" || byUID[promUID] != "prometheus" {
		t.Errorf("provisioned data sources %v, want %s (influxdb) and %s (prometheus)", byUID, influxUID, promUID)
	}
	var prov struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	if err := yaml.Unmarshal(readFile(t, "grafana/provisioning/dashboards/oxywatch.yaml"), &prov); err != nil {
		t.Fatal(err)
	}
	if len(prov.Providers) != 1 || prov.Providers[0].Options.Path != grafanaDashboardPath {
		t.Errorf("dashboard provider path: got %+v, want %s", prov.Providers, grafanaDashboardPath)
	}
}

// grafanaDashboardPath is where Compose and Kubernetes put the dashboards.
const grafanaDashboardPath = "/var/lib/grafana/dashboards/oxywatch"

// fluxVariables are what Grafana would substitute, for the live run.
func fluxVariables(db string) map[string]string {
	return map[string]string{"${bucket}": db, "${device}": "PSA-1", "${facility}": "Mulago", "${region}": "Central"}
}

// checkFluxQueriesRun runs every Flux query of every dashboard against the
// live influxd, with Grafana's variables filled in, and checks that each
// answers without error and with rows.
func checkFluxQueriesRun(t *testing.T, env *liveEnv) {
	total := 0
	for _, d := range loadDashboards(t) {
		for _, q := range d.queries {
			if q.datasource != influxUID {
				continue
			}
			total++
			rows, err := runFlux(env.influx.URL, grafanaToFlux(q.text, fluxVariables("oxywatch/autogen")))
			if err != nil {
				t.Errorf("%s, %s: %v", d.file, q.panel, err)
			} else if rows == 0 {
				t.Errorf("%s, %s: no rows from readings written a minute ago", d.file, q.panel)
			}
		}
	}
	if total == 0 {
		t.Fatal("no Flux queries found")
	}
}

// grafanaToFlux fills in dashboard variables and defines the v record that
// Grafana passes (time range and window), after the imports.
func grafanaToFlux(q string, vars map[string]string) string {
	for k, v := range vars {
		q = strings.ReplaceAll(q, k, v)
	}
	lines := strings.Split(q, "\n")
	i := 0
	for i < len(lines) && strings.HasPrefix(lines[i], "import ") {
		i++
	}
	v := `v = {timeRangeStart: -1h, timeRangeStop: now(), windowPeriod: 1m}`
	return strings.Join(slices.Insert(lines, i, v), "\n")
}

// runFlux posts a Flux query to /api/v2/query and counts the data rows.
func runFlux(base, q string) (int, error) {
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v2/query", strings.NewReader(q))
	req.Header.Set("Content-Type", "application/vnd.flux")
	req.Header.Set("Accept", "application/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	r := csv.NewReader(strings.NewReader(string(body)))
	r.FieldsPerRecord = -1
	records, err := r.ReadAll()
	if err != nil {
		return 0, fmt.Errorf("answer is not CSV: %v\n%s", err, body)
	}
	// Annotated CSV: a header row (",result,table,...") starts each table,
	// data rows start with an empty annotation column; an error is a table
	// whose header is "error,reference".
	rows := 0
	for _, rec := range records {
		switch {
		case len(rec) > 0 && rec[0] == "error":
			return 0, fmt.Errorf("query failed: %s", body)
		case len(rec) >= 3 && rec[0] == "" && rec[1] != "result":
			rows++
		}
	}
	return rows, nil
}
