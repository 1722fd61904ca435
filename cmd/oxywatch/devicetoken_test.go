package main

import (
	"strings"
	"testing"
)

// check-config reads the SMS patterns file and names model and pattern.
func TestCheckConfigSMSPatterns(t *testing.T) {
	dir := t.TempDir()
	patterns := writeFile(t, dir, "sms.yaml", "models:\n  OG-15:\n    - name: o2\n      match: '(?P<purity>[0-9]+)'\n")
	cfg := writeFile(t, dir, "with-sms.yaml", "data_dir: "+dir+"\ningest:\n  sms:\n    patterns_file: "+patterns+"\n")
	_, _, err := runCmd(t, "check-config", cfg)
	if err == nil || !strings.Contains(err.Error(), "ingest.sms.patterns_file") || !strings.Contains(err.Error(), "model OG-15, pattern o2") {
		t.Errorf("bad patterns file: got %v, want an error naming the key, model and pattern", err)
	}
	good := writeFile(t, dir, "good-sms.yaml", "models:\n  OG-15:\n    - name: o2\n      match: 'O2 (?P<purity_pct>[0-9]+)'\n")
	cfg = writeFile(t, dir, "with-good-sms.yaml", "data_dir: "+dir+"\ningest:\n  sms:\n    patterns_file: "+good+"\n")
	if out, _, err := runCmd(t, "check-config", cfg); err != nil || !strings.Contains(out, "SMS patterns are valid") {
		t.Errorf("good patterns file: %v %q", err, out)
	}
}

// device-token create refuses an unregistered device; the command exists
// and prints its usage.
func TestDeviceTokenCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("OXYWATCH_DATA_DIR", dir)
	t.Setenv("OXYWATCH_CONFIG", "")
	if _, _, err := runCmd(t, "device-token", "create", "conc-1"); err == nil || !strings.Contains(err.Error(), "not registered") {
		t.Errorf("token for an unregistered device: %v", err)
	}
	if _, stderr, err := runCmd(t, "device-token"); err == nil || !strings.Contains(stderr, "device-token create") {
		t.Errorf("no subcommand: %v %q", err, stderr)
	}
}
