package main

import (
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/i18n"
)

// TestServeHelpInFrench (issue 18): serve --help in French, flags and the
// configuration keys' meanings; golden first lines.
func TestServeHelpInFrench(t *testing.T) {
	inLocale(t, "fr_FR.UTF-8")
	_, errOut, err := runCmd(t, "serve", "--help")
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("serve --help: %v", err)
	}
	lines := strings.SplitAfter(errOut, "\n")
	golden(t, "serve-help-fr.golden", strings.Join(lines[:min(len(lines), 14)], ""), "\x00")
	if strings.Contains(errOut, "(empty)") || !strings.Contains(errOut, "[(vide)]") ||
		!strings.Contains(errOut, "      délai maximal d’une requête d’envoi\n") {
		t.Errorf("a default or a meaning is not in French:\n%s", errOut)
	}
}

// TestFlagErrorsInFrench (issue 18): what Go's flag package refuses is
// said in the reader's language, after the command's usage, and flag
// writes nothing of its own.
func TestFlagErrorsInFrench(t *testing.T) {
	inLocale(t, "fr_FR.UTF-8")
	dir := t.TempDir()
	t.Setenv("OXYWATCH_DATA_DIR", dir)
	registerDevice(t, dir) // the report command needs data before its flags
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--bogus"}, "option fournie mais non définie\u00a0: -bogus"},
		{[]string{"check-config", "-x", "f.yaml"}, "option fournie mais non définie\u00a0: -x"},
		{[]string{"serve", "--config"}, "l’option attend un argument\u00a0: -config"},
		{[]string{"buffer", "replay-dead-letters", "--batch=many"},
			"valeur \"many\" invalide pour l’option -batch\u00a0: ce n’est pas une valeur du type de cette option"},
		{[]string{"buffer", "replay-dead-letters", "--dry-run=perhaps"},
			"valeur booléenne \"perhaps\" invalide pour -dry-run\u00a0: ce n’est pas une valeur du type de cette option"},
		{[]string{"report", "uptime", "--bogus"}, "oxywatch report uptime\u00a0: option fournie mais non définie\u00a0: -bogus (voir --help)"},
	} {
		_, errOut, err := runCmd(t, tc.args...)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
		if strings.Contains(errOut, "flag provided") || strings.Contains(errOut, "Usage of") {
			t.Errorf("%v: flag wrote English:\n%s", tc.args, errOut)
		}
	}
	// In English, flag's own words.
	inLocale(t, "en_GB.UTF-8")
	if _, _, err := runCmd(t, "serve", "--bogus"); err == nil || err.Error() != "flag provided but not defined: -bogus" {
		t.Errorf("serve --bogus in English: %v", err)
	}
}

// TestConfigEnvironmentInFrench (issue 18): a variable that matches no key
// is a warning, and a bad value an error, both in French.
func TestConfigEnvironmentInFrench(t *testing.T) {
	inLocale(t, "fr_FR.UTF-8")
	dir := t.TempDir()
	good := writeFile(t, dir, "good.yaml", "data_dir: "+dir+"\n")
	t.Setenv("OXYWATCH_MQTT_URLL", "typo")
	_, errOut, err := runCmd(t, "check-config", good)
	want := "OXYWATCH_MQTT_URLL: variable d’environnement qui ne correspond à aucune clé de configuration ('oxywatch serve --help' les liste)"
	if err != nil || !strings.Contains(errOut, want) {
		t.Errorf("warning: %v\n%s\nwant %q", err, errOut, want)
	}
	t.Setenv("OXYWATCH_INFLUX_BATCH_SIZE", "many")
	_, _, err = runCmd(t, "check-config", good)
	if err == nil || !strings.Contains(err.Error(), `OXYWATCH_INFLUX_BATCH_SIZE (influx.batch_size): "many" n’est pas un nombre entier`) {
		t.Errorf("bad value: %v", err)
	}
}

// TestConfigKeysDescribed: every configuration key has a meaning in the
// catalogue (the i18n tests hold French and Portuguese to English), equal
// in English to its doc tag, and every meaning is of a key that exists.
func TestConfigKeysDescribed(t *testing.T) {
	keys := map[string]bool{}
	en := i18n.New(i18n.English)
	for _, k := range config.Keys() {
		keys[configDocPrefix+k.Key] = true
		if got := en.T(configDocPrefix + k.Key); got != k.Doc {
			t.Errorf("%s: catalogue says %q, the doc tag %q", k.Key, got, k.Doc)
		}
	}
	for _, k := range i18n.Keys(configDocPrefix) {
		if !keys[k] {
			t.Errorf("%s describes no configuration key", k)
		}
	}
}

// TestServeSaysAWarningOnce: in English a configuration warning is the log
// line alone (it used to be printed, then logged, the same words twice);
// in French the person starting it reads it in French, and the log keeps
// its English line.
func TestServeSaysAWarningOnce(t *testing.T) {
	for _, c := range []struct {
		locale string
		want   int
	}{{"en_GB.UTF-8", 1}, {"fr_FR.UTF-8", 2}} {
		t.Run(c.locale, func(t *testing.T) {
			inLocale(t, c.locale)
			dir := t.TempDir()
			notDir := writeFile(t, dir, "not-a-dir", "x") // so the server stops at once
			cfg := writeFile(t, dir, "c.yaml", "data_dir: "+notDir+"\n")
			t.Setenv("OXYWATCH_MQTT_URLL", "typo")
			_, errOut, err := runCmd(t, "serve", "--config", cfg)
			if err == nil {
				t.Fatal("serve started on a data_dir that is a file")
			}
			if n := strings.Count(errOut, "OXYWATCH_MQTT_URLL"); n != c.want {
				t.Errorf("the warning is said %d times, want %d:\n%s", n, c.want, errOut)
			}
		})
	}
}
