package app

import (
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// TestReadmeLayoutMatchesTree: every folder the README's layout table
// names exists, and every Go package is in it: its folder is a row, or the
// first folder below a row's is named in that row (`broker` in ingest's).
// Go's internal folders below a row are the row's own business.
func TestReadmeLayoutMatchesTree(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		folders []string
		named   map[string]bool
	}
	var rows []row
	inTable := false
	for line := range strings.Lines(string(readme)) {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "| folder |"):
			inTable = true
			continue
		case !inTable || strings.HasPrefix(line, "|---"):
			continue
		case !strings.HasPrefix(line, "|"):
			inTable = false
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		rw := row{named: map[string]bool{}}
		for _, f := range backticked(cells[1]) {
			f = strings.TrimSuffix(f, "/")
			rw.folders = append(rw.folders, f)
			if _, err := os.Stat(filepath.Join(root, f)); err != nil {
				t.Errorf("README layout names %s, which is not in the tree", f)
			}
		}
		for _, w := range backticked(cells[2]) {
			rw.named[w] = true
		}
		rows = append(rows, rw)
	}
	if len(rows) < 5 {
		t.Fatalf("found %d rows in the README's layout table; is it still headed | folder | what it holds |?", len(rows))
	}
	for _, pkg := range goFolders(t, root) {
		under, first := "", ""
		var in row
		for _, rw := range rows {
			for _, f := range rw.folders {
				switch {
				case pkg == f:
					under, first, in = f, "", rw
				case strings.HasPrefix(pkg, f+"/") && len(f) > len(under):
					under, first, in = f, strings.Split(strings.TrimPrefix(pkg, f+"/"), "/")[0], rw
				}
			}
		}
		switch {
		case under == "":
			t.Errorf("%s holds Go code and is in no row of the README's layout table", pkg)
		case first != "" && first != "internal" && !in.named[first]:
			t.Errorf("%s: the README's row for %s/ does not name `%s`", pkg, under, first)
		}
	}
}

// backticked lists the `quoted` words of s.
func backticked(s string) []string {
	parts := strings.Split(s, "`")
	var out []string
	for i := 1; i < len(parts); i += 2 {
		out = append(out, parts[i])
	}
	return out
}

// goFolders lists the folders below root holding .go files, slash-separated.
func goFolders(t *testing.T, root string) []string {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() && path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "var" || name == "vendor" || name == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(name, ".go") {
			rel, err := filepath.Rel(root, filepath.Dir(path))
			if err != nil {
				return err
			}
			if rel != "." {
				seen[filepath.ToSlash(rel)] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return slices.Sorted(maps.Keys(seen))
}
