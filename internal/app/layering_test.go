package app

import (
	"os/exec"
	"strings"
	"testing"
)

// heavyDeps are the storage and transport clients that only ingest,
// internal/influx and internal/app wiring may link.
var heavyDeps = []string{
	"github.com/influxdata/influxdb-client-go", // InfluxDB client
	"github.com/mochi-mqtt/",                   // embedded MQTT broker
	"github.com/eclipse/paho",                  // MQTT client
	"go.etcd.io/bbolt",                         // broker session store
	"github.com/tidwall/wal",                   // the durable buffer's log
}

// lightPackages must link none of heavyDeps: they read and write through
// interfaces and domain types, so a change to storage or transport does not
// reach them (issue 14).
var lightPackages = []string{
	"github.com/oxywatch/oxywatch/api",
	"github.com/oxywatch/oxywatch/alerting",
	"github.com/oxywatch/oxywatch/alerting/notify",
	"github.com/oxywatch/oxywatch/report",
}

// TestLightPackagesLinkNoClients runs go list -deps on the light packages
// and fails naming each heavy package one of them links.
func TestLightPackagesLinkNoClients(t *testing.T) {
	goBin, err := exec.LookPath("go") // go test puts its own GOROOT/bin first on PATH
	if err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	for _, pkg := range lightPackages {
		out, err := exec.Command(goBin, "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 2 {
			t.Fatalf("go list -deps %s listed %d packages; the check would prove nothing", pkg, len(deps))
		}
		for _, heavy := range heavyDeps {
			for _, dep := range deps {
				if strings.HasPrefix(dep, heavy) {
					t.Errorf("%s links %s; reach it through an interface wired in internal/app", pkg, dep)
					break // one line per client is enough
				}
			}
		}
	}
}
