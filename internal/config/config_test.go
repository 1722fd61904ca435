package config

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestGoodConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/good/*.yaml")
	if len(files) == 0 {
		t.Fatal("no good configs")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, _, err := Load(f, nil); err != nil {
				t.Errorf("got error %v, want none", err)
			}
		})
	}
}

// Each bad config names, in a "# want:" first line, a text its error must hold.
func TestBadConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	if len(files) == 0 {
		t.Fatal("no bad configs")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want := wantLine(t, f)
			_, _, err := Load(f, nil)
			if err == nil {
				t.Fatalf("got no error, want one naming %q", want)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("got error %q, want it to name %q", err, want)
			}
		})
	}
}

func wantLine(t *testing.T, path string) string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Scan()
	want, ok := strings.CutPrefix(s.Text(), "# want: ")
	if !ok {
		t.Fatalf("%s: first line must be '# want: TEXT'", path)
	}
	return want
}

func TestEnvOverrides(t *testing.T) {
	cfg, warnings, err := Load("testdata/good/minimal.yaml", []string{
		"OXYWATCH_DATA_DIR=/tmp/x",
		"OXYWATCH_MQTT_CLIENT_ID=site-7",
		"OXYWATCH_INFLUX_BATCH_SIZE=250",
		"OXYWATCH_INFLUX_TIMEOUT=5s",
		"OXYWATCH_INFLUX_CREATE_DATABASE=false",
		"OXYWATCH_MQTT_URLL=typo",
		"PATH=/bin",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/tmp/x" || cfg.MQTT.ClientID != "site-7" || cfg.Influx.BatchSize != 250 || cfg.Influx.Timeout != 5*time.Second || cfg.Influx.CreateDB {
		t.Errorf("environment not applied: %+v", cfg)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0].Error(), "OXYWATCH_MQTT_URLL") {
		t.Errorf("got warnings %v, want one naming OXYWATCH_MQTT_URLL", warnings)
	}
}

func TestEnvBadValueNamesVariable(t *testing.T) {
	_, _, err := Load("", []string{"OXYWATCH_INFLUX_BATCH_SIZE=many"})
	if err == nil || !strings.Contains(err.Error(), "OXYWATCH_INFLUX_BATCH_SIZE") {
		t.Errorf("got %v, want an error naming OXYWATCH_INFLUX_BATCH_SIZE", err)
	}
}

func TestContractVariablesExist(t *testing.T) {
	have := map[string]string{}
	for _, k := range Keys() {
		have[k.Env] = k.Default
	}
	want := map[string]string{
		"OXYWATCH_DATA_DIR":       "./var",
		"OXYWATCH_HTTP_ADDR":      "127.0.0.1:8080",
		"OXYWATCH_MQTT_URL":       "(empty)",
		"OXYWATCH_MQTT_LISTEN":    "127.0.0.1:1883",
		"OXYWATCH_MQTT_USERNAME":  "(empty)",
		"OXYWATCH_MQTT_PASSWORD":  "(empty)",
		"OXYWATCH_MQTT_CLIENT_ID": "oxywatch",
		"OXYWATCH_INFLUX_URL":     "http://127.0.0.1:8086",
		"OXYWATCH_INFLUX_TOKEN":   "(empty)",
		"OXYWATCH_INFLUX_ORG":     "(empty)",
		"OXYWATCH_INFLUX_BUCKET":  "oxywatch/autogen",
		"OXYWATCH_ADMIN_TOKEN":    "(empty)",
	}
	for env, def := range want {
		got, ok := have[env]
		if !ok {
			t.Errorf("%s missing", env)
		} else if got != def {
			t.Errorf("%s default: got %q, want %q", env, got, def)
		}
	}
}
