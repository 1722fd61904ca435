package deploy

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/oxywatch/oxywatch/internal/config"
)

// configEnvNames is every OXYWATCH_ variable the server reads.
func configEnvNames() map[string]bool {
	names := map[string]bool{"OXYWATCH_CONFIG": true}
	for _, k := range config.Keys() {
		names[k.Env] = true
	}
	return names
}

// checkOxywatchEnv fails for unknown OXYWATCH_ variables and for an
// environment that does not make a valid configuration.
func checkOxywatchEnv(t *testing.T, where string, env map[string]string) {
	t.Helper()
	known := configEnvNames()
	environ := []string{}
	for k, v := range env {
		if !strings.HasPrefix(k, config.EnvPrefix) {
			continue
		}
		if !known[k] {
			t.Errorf("%s sets %s, which is no oxywatch configuration key", where, k)
		}
		environ = append(environ, k+"="+v)
	}
	if _, _, err := config.Load("", environ); err != nil {
		t.Errorf("%s: the environment is not a valid oxywatch configuration:\n%v", where, err)
	}
}

// dockerStages reads deploy/Dockerfile's stages and what each final stage
// runs as.
type dockerStage struct {
	name, from string
	user       string
	lines      []string
}

func dockerStages(t *testing.T) map[string]*dockerStage {
	t.Helper()
	stages := map[string]*dockerStage{}
	var cur *dockerStage
	sc := bufio.NewScanner(strings.NewReader(string(readFile(t, "Dockerfile"))))
	from := regexp.MustCompile(`^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$`)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := from.FindStringSubmatch(line); m != nil {
			cur = &dockerStage{name: m[2], from: m[1]}
			stages[m[2]] = cur
			continue
		}
		if cur == nil || line == "" || line[0] == '#' {
			continue
		}
		cur.lines = append(cur.lines, line)
		if u, ok := strings.CutPrefix(line, "USER "); ok {
			cur.user = u
		}
	}
	return stages
}

func TestDockerfile(t *testing.T) {
	stages := dockerStages(t)
	build := stages["build"]
	if build == nil {
		t.Fatalf("no build stage; stages: %v", stages)
	}
	body := strings.Join(build.lines, "\n")
	for _, want := range []string{"CGO_ENABLED=0", "./cmd/oxywatch", "./firmware-sim"} {
		if !strings.Contains(body, want) {
			t.Errorf("build stage lacks %s", want)
		}
	}
	for _, pkg := range []string{"cmd/oxywatch", "firmware-sim"} {
		if _, err := os.Stat(filepath.Join(repoRoot(t), pkg, "main.go")); err != nil {
			t.Errorf("the Dockerfile builds ./%s: %v", pkg, err)
		}
	}
	goMod := string(readFile(t, filepath.Join(repoRoot(t), "go.mod")))
	goLine := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(goMod)
	if goLine == nil || !strings.Contains(string(readFile(t, "Dockerfile")), "ARG GO_VERSION="+goLine[1]) {
		t.Errorf("Dockerfile's GO_VERSION does not match go.mod's go %v", goLine)
	}
	for _, name := range []string{"oxywatch", "firmware-sim"} {
		s := stages[name]
		if s == nil {
			t.Errorf("no %s stage", name)
			continue
		}
		if s.user == "" || s.user == "root" || strings.HasPrefix(s.user, "0") {
			t.Errorf("stage %s runs as %q, want a non-root user", name, s.user)
		}
		if !strings.Contains(s.from, "static") {
			t.Errorf("stage %s is based on %s, want a static (distroless) base", name, s.from)
		}
		for _, l := range s.lines {
			if m := regexp.MustCompile(`--from=(\S+)`).FindStringSubmatch(l); m != nil && stages[m[1]] == nil {
				t.Errorf("stage %s copies from unknown stage %s", name, m[1])
			}
		}
	}
}

type composeFile struct {
	Services map[string]struct {
		Image string `yaml:"image"`
		Build *struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
			Target     string `yaml:"target"`
		} `yaml:"build"`
		Profiles    []string          `yaml:"profiles"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Command     []string          `yaml:"command"`
		DependsOn   yaml.Node         `yaml:"depends_on"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

// composeVars stands in for .env.
var composeVars = regexp.MustCompile(`\$\{(\w+)(?::?[?-][^}]*)?\}`)

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	src := string(readFile(t, "compose/compose.yaml"))
	example := map[string]string{}
	for _, line := range strings.Split(string(readFile(t, "compose/.env.example")), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(k, "#") {
			example[k] = v
		}
	}
	src = composeVars.ReplaceAllStringFunc(src, func(m string) string {
		name := composeVars.FindStringSubmatch(m)[1]
		v, ok := example[name]
		if !ok {
			t.Errorf("compose.yaml uses ${%s}, which .env.example does not set", name)
		}
		return v
	})
	var cf composeFile
	if err := yaml.Unmarshal([]byte(src), &cf); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return cf
}

func TestComposeStack(t *testing.T) {
	cf := loadCompose(t)
	for _, want := range []string{"mosquitto", "influxdb", "oxywatch", "grafana", "prometheus", "firmware-sim"} {
		if _, ok := cf.Services[want]; !ok {
			t.Errorf("compose.yaml has no %s service", want)
		}
	}
	if !slices.Contains(cf.Services["firmware-sim"].Profiles, "sim") {
		t.Errorf("firmware-sim must be behind the sim profile, has %v", cf.Services["firmware-sim"].Profiles)
	}
	stages := dockerStages(t)
	composeDir := filepath.Join(deployDir(t), "compose")
	for name, s := range cf.Services {
		if s.Build != nil {
			if stages[s.Build.Target] == nil {
				t.Errorf("service %s builds target %q, which deploy/Dockerfile lacks", name, s.Build.Target)
			}
			df := filepath.Join(composeDir, s.Build.Context, s.Build.Dockerfile)
			if _, err := os.Stat(df); err != nil {
				t.Errorf("service %s: %v", name, err)
			}
		}
		for _, dep := range dependsOn(t, s.DependsOn) {
			if _, ok := cf.Services[dep]; !ok {
				t.Errorf("service %s depends on unknown service %s", name, dep)
			}
		}
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(src, ".") {
				if _, ok := cf.Volumes[src]; !ok {
					t.Errorf("service %s mounts volume %s, which is not declared", name, src)
				}
				continue
			}
			if src == "./certs" {
				continue // the operator's certificates; compose.yaml's header says how to make them
			}
			if _, err := os.Stat(filepath.Join(composeDir, src)); err != nil {
				t.Errorf("service %s mounts %s: %v", name, src, err)
			}
		}
	}
	checkOxywatchEnv(t, "compose.yaml service oxywatch", cf.Services["oxywatch"].Environment)

	influx, ox := cf.Services["influxdb"].Environment, cf.Services["oxywatch"].Environment
	if influx["DOCKER_INFLUXDB_INIT_MODE"] != "setup" {
		t.Error("influxdb is not set up on first start (DOCKER_INFLUXDB_INIT_MODE=setup)")
	}
	for k, want := range map[string]string{"OXYWATCH_INFLUX_ORG": "DOCKER_INFLUXDB_INIT_ORG", "OXYWATCH_INFLUX_BUCKET": "DOCKER_INFLUXDB_INIT_BUCKET", "OXYWATCH_INFLUX_TOKEN": "DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"} {
		if ox[k] == "" || ox[k] != influx[want] {
			t.Errorf("oxywatch's %s=%q does not match influxdb's %s=%q", k, ox[k], want, influx[want])
		}
	}
	grafana := cf.Services["grafana"]
	if !slices.ContainsFunc(grafana.Volumes, func(v string) bool { return strings.HasSuffix(v, ":"+grafanaDashboardPath+":ro") }) {
		t.Errorf("grafana does not mount the dashboards at %s", grafanaDashboardPath)
	}
	if !testing.Short() {
		checkSimulatorCommand(t, cf.Services["firmware-sim"].Command, composeDir)
	}
}

func dependsOn(t *testing.T, n yaml.Node) []string {
	t.Helper()
	var names []string
	switch n.Kind {
	case yaml.SequenceNode:
		if err := n.Decode(&names); err != nil {
			t.Error(err)
		}
	case yaml.MappingNode:
		for i := 0; i < len(n.Content); i += 2 {
			names = append(names, n.Content[i].Value)
		}
	}
	return names
}

// checkSimulatorCommand runs the simulator with compose's arguments (the
// fleet file from this folder) in dry-run mode for a moment: every flag must
// exist and the demo fleet must load.
func checkSimulatorCommand(t *testing.T, args []string, composeDir string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "firmware-sim")
	run(t, repoRoot(t), nil, "go", "build", "-o", bin, "./firmware-sim")
	var local []string
	for _, a := range args {
		local = append(local, strings.Replace(a, "/demo/", composeDir+"/", 1))
	}
	local = append(local, "--dry-run", "--duration=1s")
	cmd := exec.Command(bin, local...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) || err != nil {
		t.Fatalf("firmware-sim %s: %v\n%s", strings.Join(local, " "), err, out)
	}
	if !strings.Contains(string(out), "o2/PSA-KLA-01/") {
		t.Errorf("firmware-sim with compose's arguments published nothing for the demo fleet:\n%s", out)
	}
}

// k8sObjects reads every manifest in deploy/kubernetes.
func k8sObjects(t *testing.T) map[string]map[string]any {
	t.Helper()
	files, _ := filepath.Glob("kubernetes/*.yaml")
	objs := map[string]map[string]any{}
	for _, f := range files {
		dec := yaml.NewDecoder(strings.NewReader(string(readFile(t, f))))
		for {
			var o map[string]any
			err := dec.Decode(&o)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			kind, _ := o["kind"].(string)
			md, _ := o["metadata"].(map[string]any)
			name, _ := md["name"].(string)
			if kind == "" || o["apiVersion"] == nil {
				t.Errorf("%s: a document lacks kind or apiVersion", f)
			}
			if kind != "Kustomization" && name == "" {
				t.Errorf("%s: %s without a name", f, kind)
			}
			objs[kind+"/"+name] = o
		}
	}
	return objs
}

// dig walks maps and lists: dig(o, "spec", "template", "spec", "containers", 0).
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func TestKubernetesManifests(t *testing.T) {
	objs := k8sObjects(t)
	dep := objs["Deployment/oxywatch"]
	if dep == nil {
		t.Fatalf("no Deployment oxywatch; have %v", slices.Collect(mapsKeys(objs)))
	}
	if r := dig(dep, "spec", "replicas"); r != 1 {
		t.Errorf("replicas %v, want 1 (one persistent MQTT session)", r)
	}
	c := dig(dep, "spec", "template", "spec", "containers", 0)
	for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz", "startupProbe": "/healthz"} {
		if got := dig(c, probe, "httpGet", "path"); got != path {
			t.Errorf("%s path %v, want %s", probe, got, path)
		}
	}
	if dig(c, "resources", "requests", "cpu") == nil || dig(c, "resources", "limits", "memory") == nil {
		t.Error("the container lacks resource requests or a memory limit")
	}
	if dig(dep, "spec", "template", "spec", "securityContext", "runAsNonRoot") != true {
		t.Error("the pod does not require a non-root user")
	}
	claim := dig(dep, "spec", "template", "spec", "volumes", 0, "persistentVolumeClaim", "claimName")
	if objs["PersistentVolumeClaim/"+claim.(string)] == nil {
		t.Errorf("the Deployment claims %v, which no manifest defines", claim)
	}
	env := map[string]string{}
	for i := 0; dig(c, "envFrom", i) != nil; i++ {
		if name, ok := dig(c, "envFrom", i, "configMapRef", "name").(string); ok {
			addStrings(t, env, objs["ConfigMap/"+name], "data")
		}
		if name, ok := dig(c, "envFrom", i, "secretRef", "name").(string); ok {
			addStrings(t, env, objs["Secret/"+name], "stringData")
		}
	}
	checkOxywatchEnv(t, "kubernetes ConfigMap and Secret", env)
	if mount := dig(c, "volumeMounts", 0, "mountPath"); mount != env["OXYWATCH_DATA_DIR"] {
		t.Errorf("the data volume is mounted at %v but OXYWATCH_DATA_DIR is %q", mount, env["OXYWATCH_DATA_DIR"])
	}
	port := dig(c, "ports", 0, "name")
	if tp := dig(objs["Service/oxywatch"], "spec", "ports", 0, "targetPort"); tp != port {
		t.Errorf("Service targets port %v, the container names its port %v", tp, port)
	}
	var kust struct {
		Resources []string `yaml:"resources"`
	}
	if err := yaml.Unmarshal(readFile(t, "kubernetes/kustomization.yaml"), &kust); err != nil {
		t.Fatal(err)
	}
	for _, r := range kust.Resources {
		if _, err := os.Stat(filepath.Join("kubernetes", r)); err != nil {
			t.Errorf("kustomization lists %s: %v", r, err)
		}
	}
	if slices.Contains(kust.Resources, "secret.example.yaml") {
		t.Error("kustomization applies the example Secret with placeholder values")
	}
}

func addStrings(t *testing.T, env map[string]string, obj map[string]any, field string) {
	t.Helper()
	if obj == nil {
		t.Errorf("envFrom names an object that no manifest defines")
		return
	}
	m, _ := obj[field].(map[string]any)
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			t.Errorf("%s %s: value of %s is not a string (quote it)", obj["kind"], field, k)
		}
		env[k] = s
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestShellScriptsParse checks every shipped shell script with sh -n (dash
// on Debian, as /bin/sh runs them there); the ones the other tests do not
// run at all get at least this.
func TestShellScriptsParse(t *testing.T) {
	scripts := []string{"mosquitto/provision-devices.sh", "compose/mosquitto-init.sh", "debian/install.sh", "debian/oxywatch-backup"}
	for _, s := range scripts {
		run(t, deployDir(t), nil, "sh", "-n", s)
		if st, err := os.Stat(s); err != nil || st.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s is not executable (%v)", s, err)
		}
		if first, _, _ := strings.Cut(string(readFile(t, s)), "\n"); first != "#!/bin/sh" {
			t.Errorf("%s starts with %q, want #!/bin/sh", s, first)
		}
	}
}
