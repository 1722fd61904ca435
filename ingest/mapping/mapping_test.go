package mapping

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/oxywatch/oxywatch/internal/plant"
)

func TestAlarmCode(t *testing.T) {
	for in, want := range map[string]string{"Low Purity": "low_purity", " Sieve-Bed  Fault ": "sieve_bed_fault", "HighTemp2": "hightemp2", "Ä/x": "x"} {
		if got := AlarmCode(in); got != want {
			t.Errorf("AlarmCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSparkplugDevicesAndDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.yaml")
	yaml := "models:\n  M:\n    keys:\n      Caudal: {field: flow, unit: m3/h}\n    states:\n      MARCHA: running\n    alarms:\n      BAJA_PUREZA: low_purity\nsparkplug:\n  devices:\n    g/e/d: dev-1\n    g/e: node-1\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err := Load(path, func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ group, edge, dev, want string }{
		{"g", "e", "d", "dev-1"}, {"g", "e", "", "node-1"}, {"g", "e", "other", "other"}, {"h", "e", "", "e"},
	} {
		if got := set.SparkplugDevice(c.group, c.edge, c.dev); got != plant.DeviceID(c.want) {
			t.Errorf("%s/%s/%s: got %s, want %s", c.group, c.edge, c.dev, got, c.want)
		}
	}
	sp := set.ForSparkplug("M")
	if tg, ok := sp.Key([]byte("Caudal")); !ok || tg.Key != plant.FieldFlow || tg.Scale != 1000.0/60 {
		t.Errorf("model key: %+v %v", tg, ok)
	}
	if tg, ok := sp.Key([]byte("O2 Purity")); !ok || tg.Key != plant.FieldPurity {
		t.Errorf("default name under a model: %+v %v", tg, ok)
	}
	if tg, ok := sp.Key([]byte("Alarms/Dryer Fault")); !ok || tg.Alarm != "dryer_fault" {
		t.Errorf("alarm folder: %+v %v", tg, ok)
	}
	if tg, ok := sp.Key([]byte("Alarms/BAJA_PUREZA")); !ok || tg.Alarm != "low_purity" {
		t.Errorf("alarm folder renamed by the model's alarms: %+v %v", tg, ok)
	}
	if _, ok := set.For("M").Key([]byte("O2 Purity")); ok {
		t.Error("Sparkplug default names apply to JSON payloads too")
	}
	if st, ok := set.For("M").State([]byte("marcha")); !ok || st != plant.StateRunning {
		t.Errorf("state words are matched regardless of case: %v %v", st, ok)
	}
	if set.For("unmapped") != nil {
		t.Error("a model the file does not name has a mapping")
	}
}
