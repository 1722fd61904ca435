package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oxywatch/oxywatch/internal/store"
)

// TestReportDataDir (issue 17): report reads make run's data (./var/oxywatch)
// from the default ./var, and refuses a data dir without a database instead
// of creating an empty one and printing a report of 0 devices.
func TestReportDataDir(t *testing.T) {
	root := t.TempDir()
	t.Setenv("OXYWATCH_CONFIG", "")
	t.Setenv("OXYWATCH_DATA_DIR", root)
	_, errOut, err := runCmd(t, "report", "uptime", "--month", "2026-11")
	if err == nil || !strings.Contains(err.Error(), "no OxyWatch data in "+root) || !strings.Contains(err.Error(), "./var/oxywatch") {
		t.Fatalf("empty data dir: got %v (stderr %q), want a refusal saying what to do", err, errOut)
	}
	if _, err := os.Stat(filepath.Join(root, store.DBFile)); !os.IsNotExist(err) {
		t.Errorf("the refused data dir got a database: %v", err)
	}

	server := filepath.Join(root, "oxywatch")
	db, err := store.OpenSQLite(server)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, errOut, err = runCmd(t, "report", "uptime", "--month", "2026-11")
	if !strings.Contains(errOut, "report: reading data dir "+server) {
		t.Errorf("stderr %q, want it to name %s", errOut, server)
	}
	if err == nil || !strings.Contains(err.Error(), "no devices in the registry at "+server) {
		t.Errorf("a registry without devices: got %v, want a refusal naming %s", err, server)
	}
}
