package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/oxywatch/oxywatch/internal/config"
)

var update = flag.Bool("update", false, "rewrite the configuration table in README.md")

// configTable renders every configuration key as a Markdown table.
func configTable() string {
	var b strings.Builder
	b.WriteString("| key | environment variable | default | meaning |\n|---|---|---|---|\n")
	for _, k := range config.Keys() {
		def := k.Default
		if k.Secret && def != "(empty)" {
			def = "(set)"
		}
		doc := strings.ReplaceAll(k.Doc, "|", `\|`)
		fmt.Fprintf(&b, "| `%s` | `%s` | `%s` | %s |\n", k.Key, k.Env, def, doc)
	}
	return b.String()
}

// TestREADMEConfigTable keeps the README's configuration table equal to
// the keys the code accepts. go test ./cmd/oxywatch -run README -update
// rewrites it.
func TestREADMEConfigTable(t *testing.T) {
	const path = "../../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- config:begin -->\n", "<!-- config:end -->"
	s := string(b)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q … %q markers", strings.TrimSpace(begin), end)
	}
	want := configTable()
	if got := s[i+len(begin) : j]; got != want {
		if *update {
			if err := os.WriteFile(path, []byte(s[:i+len(begin)]+want+s[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's configuration table is out of date; run: go test ./cmd/oxywatch -run README -update")
	}
}
