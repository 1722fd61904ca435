package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Influxd is a real InfluxDB 1.8 on a loopback port with Flux enabled.
type Influxd struct {
	URL  string // http://127.0.0.1:PORT
	Dir  string
	proc *process
}

// StartInfluxd starts influxd and creates the database db (if not empty).
// It is stopped when the test ends.
func StartInfluxd(t testing.TB, db string) *Influxd {
	t.Helper()
	bin := Require(t, "influxd")
	dir := t.TempDir()
	port, rpc := FreePort(t), FreePort(t)
	conf := fmt.Sprintf(`reporting-disabled = true
bind-address = "127.0.0.1:%d"
[meta]
  dir = "%[2]s/meta"
[data]
  dir = "%[2]s/data"
  wal-dir = "%[2]s/wal"
  query-log-enabled = false
  trace-logging-enabled = false
[http]
  bind-address = "127.0.0.1:%[3]d"
  flux-enabled = true
  log-enabled = false
[monitor]
  store-enabled = false
[logging]
  level = "warn"
[continuous_queries]
  enabled = false
`, rpc, dir, port)
	confPath := filepath.Join(dir, "influxdb.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	in := &Influxd{
		URL:  fmt.Sprintf("http://127.0.0.1:%d", port),
		Dir:  dir,
		proc: &process{t: t, name: "influxd", args: []string{bin, "-config", confPath}, log: filepath.Join(dir, "influxd.log")},
	}
	in.Start()
	t.Cleanup(func() { in.proc.stop(syscall.SIGTERM) })
	if db != "" {
		if _, err := in.Query("CREATE DATABASE " + db); err != nil {
			t.Fatal(err)
		}
	}
	return in
}

// Start starts influxd (again) and waits until /ping answers.
func (in *Influxd) Start() {
	in.proc.t.Helper()
	in.proc.start()
	waitHTTP(in.proc.t, in.URL+"/ping", in.proc)
}

// Stop stops influxd.
func (in *Influxd) Stop() { in.proc.stop(syscall.SIGTERM) }

// Log returns what influxd printed.
func (in *Influxd) Log() string { return in.proc.Log() }

// Query runs an InfluxQL statement through /query and returns the raw rows of
// the first series of the first result.
func (in *Influxd) Query(q string) ([][]any, error) {
	form := url.Values{"q": {q}}
	resp, err := http.Post(in.URL+"/query", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		Results []struct {
			Error  string `json:"error"`
			Series []struct {
				Values [][]any `json:"values"`
			} `json:"series"`
		} `json:"results"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("query %q: %w", q, err)
	}
	if out.Error != "" {
		return nil, fmt.Errorf("query %q: %s", q, out.Error)
	}
	if len(out.Results) == 0 {
		return nil, nil
	}
	if out.Results[0].Error != "" {
		return nil, fmt.Errorf("query %q: %s", q, out.Results[0].Error)
	}
	var rows [][]any
	for _, s := range out.Results[0].Series {
		rows = append(rows, s.Values...)
	}
	return rows, nil
}

// Count returns the number of points with field in measurement of db.
func (in *Influxd) Count(ctx context.Context, db, measurement, field string) (int, error) {
	rows, err := in.Query(fmt.Sprintf(`SELECT COUNT("%s") FROM "%s"."autogen"."%s"`, field, db, measurement))
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	n, _ := rows[0][1].(float64)
	return int(n), nil
}
