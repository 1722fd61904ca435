package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(t.Context(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.yaml", "data_dir: "+dir+"\n")
	if out, _, err := runCmd(t, "check-config", good); err != nil || !strings.Contains(out, "configuration is valid") {
		t.Errorf("good file: %v, %q", err, out)
	}
	bad := writeFile(t, dir, "bad.yaml", "data_dir: "+dir+"\nhttp:\n  adress: 127.0.0.1:8080\n")
	if _, _, err := runCmd(t, "check-config", bad); err == nil || !strings.Contains(err.Error(), "http.adress") {
		t.Errorf("unknown key: got %v, want an error naming http.adress", err)
	}
	// A rules file the configuration names is checked too.
	rules := writeFile(t, dir, "rules.yaml", "rules:\n  low_purity:\n    levle: 90\n")
	withRules := writeFile(t, dir, "with-rules.yaml", "data_dir: "+dir+"\nalerting:\n  rules_file: "+rules+"\n")
	if _, _, err := runCmd(t, "check-config", withRules); err == nil || !strings.Contains(err.Error(), "levle") {
		t.Errorf("bad rules file: got %v, want an error naming levle", err)
	}
	// So is the ingest mapping file: errors name file, model and key.
	mappings := writeFile(t, dir, "mappings.yaml", "models:\n  CM-10:\n    keys:\n      pureza: purity_percent\n")
	withMappings := writeFile(t, dir, "with-mappings.yaml", "data_dir: "+dir+"\ningest:\n  mappings: "+mappings+"\n")
	if _, _, err := runCmd(t, "check-config", withMappings); err == nil || !strings.Contains(err.Error(), mappings) ||
		!strings.Contains(err.Error(), `model "CM-10": keys["pureza"]`) {
		t.Errorf("bad mapping file: got %v, want an error naming the file, model CM-10 and key pureza", err)
	}
	example := writeFile(t, dir, "with-example.yaml", "data_dir: "+dir+"\ningest:\n  mappings: ../../ingest/testdata/mappings.yaml\n")
	if out, _, err := runCmd(t, "check-config", example); err != nil || !strings.Contains(out, "ingest mappings are valid (2 models)") {
		t.Errorf("example mapping file: %v, %q", err, out)
	}
}

func TestTokenCommands(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("OXYWATCH_DATA_DIR", dir)
	t.Setenv("OXYWATCH_CONFIG", "")
	out, _, err := runCmd(t, "token", "create", "--role", "engineer", "--regions", "north,east", "--name", "north biomed")
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSpace(out)
	if len(secret) < 32 || strings.ContainsAny(secret, " \n") {
		t.Fatalf("create printed %q, want the token alone", out)
	}
	list, _, err := runCmd(t, "token", "list")
	if err != nil || !strings.Contains(list, "north biomed") || !strings.Contains(list, "engineer") || strings.Contains(list, secret) {
		t.Fatalf("list: %v\n%s", err, list)
	}
	if _, _, err := runCmd(t, "token", "revoke", "no-such-id"); err == nil {
		t.Error("revoking an unknown id succeeded")
	}
}

func TestUsage(t *testing.T) {
	if out, _, err := runCmd(t, "version"); err != nil || !strings.HasPrefix(out, "oxywatch ") {
		t.Errorf("version: %v %q", err, out)
	}
	if _, errOut, err := runCmd(t, "frobnicate"); err == nil || !strings.Contains(errOut, "Usage:") {
		t.Errorf("unknown command: %v, usage %q", err, errOut)
	}
}
