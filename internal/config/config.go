// Package config loads OxyWatch's configuration: a YAML file, then OXYWATCH_*
// environment variables, then defaults, then validation. Unknown keys are
// errors that name the key.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// MinMemoryLimitMiB is the smallest memory_limit_mib accepted.
const MinMemoryLimitMiB = 32

// EnvPrefix starts every environment variable that overrides a key:
// mqtt.client_id is OXYWATCH_MQTT_CLIENT_ID.
const EnvPrefix = "OXYWATCH_"

// Config is the whole configuration. Each feature keeps its section in a file
// of its own in this package.
type Config struct {
	DataDir    string `yaml:"data_dir" doc:"SQLite file, ingest buffer and state"`
	AdminToken string `yaml:"admin_token" doc:"bootstrap admin API token, at least 24 random characters (openssl rand -base64 32); generated on first start when empty" secret:"true"`
	LogLevel   string `yaml:"log_level" doc:"debug, info, warn or error"`
	// MemoryLimitMiB is the Go runtime's soft memory limit (see memory.go
	// in internal/app).
	MemoryLimitMiB int      `yaml:"memory_limit_mib" doc:"soft limit of the server's Go memory in MiB (heap, stacks, buffers; not the program text): the garbage collector works harder near it instead of growing. 0: 64 MiB plus 64 KiB per device seen, followed as the fleet grows; negative: no limit; the GOMEMLIMIT environment variable wins"`
	HTTP           HTTP     `yaml:"http"`
	MQTT           MQTT     `yaml:"mqtt"`
	Influx         Influx   `yaml:"influx"`
	Ingest         Ingest   `yaml:"ingest"`
	Alerting       Alerting `yaml:"alerting"`
	Notify         Notify   `yaml:"notify"`
	Report         Report   `yaml:"report"`
}

// HTTP is the API, dashboard and /metrics listener.
type HTTP struct {
	Addr     string `yaml:"addr" doc:"API, dashboard and /metrics listen address"`
	TLSCert  string `yaml:"tls_cert" doc:"PEM certificate path; with tls_key serves HTTPS"`
	TLSKey   string `yaml:"tls_key" doc:"PEM private key path"`
	Insecure bool   `yaml:"allow_insecure_public" doc:"allow plain HTTP on a non-loopback address without TLS"`
}

// MQTT is the broker the ingester reads from.
type MQTT struct {
	URL         string       `yaml:"url" doc:"external broker, e.g. tcp://127.0.0.1:1883; empty starts the embedded broker"`
	Listen      string       `yaml:"listen" doc:"embedded broker listen address"`
	Username    string       `yaml:"username" doc:"ingester's broker username"`
	Password    string       `yaml:"password" doc:"ingester's broker password" secret:"true"`
	ClientID    string       `yaml:"client_id" doc:"stable client id of the ingester's persistent session"`
	Connections int          `yaml:"connections" doc:"external broker: subscriber connections sharing telemetry ($share); each has the broker's in-flight window"`
	TopicPrefix string       `yaml:"topic_prefix" doc:"first topic level"`
	Users       []BrokerUser `yaml:"users" doc:"embedded broker: accepted device and ingester credentials"`
}

// BrokerUser is one login accepted by the embedded broker.
type BrokerUser struct {
	Username string `yaml:"username"`
	Password string `yaml:"password" secret:"true"`
}

// Influx is where readings are stored.
type Influx struct {
	URL          string        `yaml:"url" doc:"InfluxDB base URL"`
	Token        string        `yaml:"token" doc:"2.x token, or user:password for 1.8" secret:"true"`
	Org          string        `yaml:"org" doc:"2.x organisation; empty for 1.8"`
	Bucket       string        `yaml:"bucket" doc:"2.x bucket, or db/rp for 1.8"`
	BatchSize    int           `yaml:"batch_size" doc:"lines per write request"`
	Timeout      time.Duration `yaml:"timeout" doc:"one write request's time limit"`
	CreateDB     bool          `yaml:"create_database" doc:"1.8 only: create the database when missing"`
	MaxRetryWait time.Duration `yaml:"max_retry_wait" doc:"longest wait between write retries"`
}

// Ingest controls decoding and the durable buffer.
type Ingest struct {
	UnknownDevices string     `yaml:"unknown_devices" doc:"accept (listed with kind unknown) or reject"`
	Mappings       string     `yaml:"mappings" doc:"YAML file mapping vendor payloads (keys, units, state, power and alarm words) per device model, and Sparkplug devices to registry ids; empty reads payloads as CONTRACT §3"`
	Sparkplug      Sparkplug  `yaml:"sparkplug"`
	HTTP           IngestHTTP `yaml:"http"` // POST /api/v1/ingest (ingest_device.go)
	SMS            IngestSMS  `yaml:"sms"`  // alarm SMS from devices (ingest_device.go)
}

// Sparkplug controls Sparkplug B ingest (spBv1.0/#).
type Sparkplug struct {
	Enabled bool `yaml:"enabled" doc:"take Sparkplug B messages under spBv1.0/ (external broker: one more connection, CLIENT_ID-spb)"`
	Rebirth bool `yaml:"rebirth" doc:"ask an edge node to send its BIRTH again (NCMD Node Control/Rebirth) when its DATA cannot be read without it"`
}

// Defaults returns the configuration used when nothing is set.
func Defaults() Config {
	return Config{
		DataDir:  "./var",
		LogLevel: "info",
		HTTP:     HTTP{Addr: "127.0.0.1:8080"},
		MQTT: MQTT{
			Listen:      "127.0.0.1:1883",
			ClientID:    "oxywatch",
			Connections: 4,
			TopicPrefix: "o2",
		},
		Influx: Influx{
			URL:          "http://127.0.0.1:8086",
			Bucket:       "oxywatch/autogen",
			BatchSize:    5000,
			Timeout:      30 * time.Second,
			CreateDB:     true,
			MaxRetryWait: 30 * time.Second,
		},
		Ingest:   Ingest{UnknownDevices: "accept", HTTP: defaultIngestHTTP(), Sparkplug: Sparkplug{Enabled: true, Rebirth: true}},
		Alerting: defaultAlerting(),
		Notify:   defaultNotify(),
		Report:   defaultReport(),
	}
}

// Load reads the YAML file at path (none when path is empty), applies the
// environment, and validates. Warnings name environment variables that look
// like ours but match no key; like the errors, they are KeyErrors, which a
// command line says in its reader's language (internal/i18n.Text).
func Load(path string, environ []string) (Config, []*KeyError, error) {
	cfg := Defaults()
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return cfg, nil, &KeyError{Key: path, Format: "cannot be opened: %v", Args: []any{openReason(err)}}
		}
		defer f.Close()
		if err := decodeYAML(f, &cfg); err != nil {
			var ke *KeyError
			if errors.As(err, &ke) { // each names the file and the line already
				return cfg, nil, err
			}
			return cfg, nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	warnings, err := applyEnv(&cfg, environ)
	if err != nil {
		return cfg, warnings, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, warnings, err
	}
	return cfg, warnings, nil
}

func decodeYAML(r io.Reader, cfg *Config) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		if errs := keyErrors(b, err, name(r)); errs != nil {
			return errs
		}
		return nameKeys(b, err)
	}
	return nil
}

// name is the file r reads, for messages.
func name(r io.Reader) string {
	if f, ok := r.(interface{ Name() string }); ok {
		return f.Name()
	}
	return "config"
}

var (
	unknownField = regexp.MustCompile(`^line (\d+): field (\S+) not found in type \S+$`)
	wrongType    = regexp.MustCompile("^line (\\d+): cannot unmarshal !!\\w+ `(.*)` into (\\S+)$")
)

// keyErrors turns yaml.v3's errors for unknown keys and values of the wrong
// type into KeyErrors naming file, line and dotted key ("oxywatch.yaml:3:
// http.adress"), or returns nil when one of its lines is of another kind.
func keyErrors(src []byte, err error, file string) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return nil
	}
	keys := lineKeys(src)
	var errs []error
	for _, msg := range te.Errors {
		at := func(line string) string {
			n, _ := strconv.Atoi(line)
			return fmt.Sprintf("%s:%d: %s", file, n, keys[n])
		}
		if m := unknownField.FindStringSubmatch(msg); m != nil && keys[atoi(m[1])] != "" {
			errs = append(errs, &KeyError{Key: at(m[1]), Format: "not a configuration key (a typo? 'oxywatch serve --help' lists them)"})
		} else if m := wrongType.FindStringSubmatch(msg); m != nil && keys[atoi(m[1])] != "" {
			errs = append(errs, &KeyError{Key: at(m[1]), Format: "%q is not a value of type %s", Args: []any{m[2], strings.TrimPrefix(m[3], "time.")}})
		} else {
			return nil
		}
	}
	return errors.Join(errs...)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

var lineRef = regexp.MustCompile(`line (\d+): `)

// nameKeys rewrites yaml.v3's "line N: cannot unmarshal …" so that it also
// names the dotted key found on line N.
func nameKeys(src []byte, err error) error {
	keys := lineKeys(src)
	if keys == nil {
		return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), "yaml: ", ""))
	}
	msg := strings.ReplaceAll(err.Error(), "yaml: ", "")
	msg = lineRef.ReplaceAllStringFunc(msg, func(m string) string {
		n, _ := strconv.Atoi(lineRef.FindStringSubmatch(m)[1])
		if k, ok := keys[n]; ok {
			return fmt.Sprintf("line %d: key %s: ", n, k)
		}
		return m
	})
	return errors.New(msg)
}

// KeyError is one bad value: the key and what is wrong with it. Format is
// the English message and Args its arguments, so that a command line can
// say it in its reader's language (Parts; internal/i18n keeps the
// translations keyed by Format).
type KeyError struct {
	Key, Format string
	Args        []any
}

func (e *KeyError) Error() string { return e.Key + ": " + fmt.Sprintf(e.Format, e.Args...) }

// Parts returns the key, the message format and its arguments.
func (e *KeyError) Parts() (key, format string, args []any) { return e.Key, e.Format, e.Args }

// lineKeys maps each line of a YAML document that holds a key to the
// key's dotted path; nil when src does not parse.
func lineKeys(src []byte) map[int]string {
	var root yaml.Node
	if yaml.Unmarshal(src, &root) != nil {
		return nil
	}
	keys := map[int]string{}
	var visit func(n *yaml.Node, prefix string)
	visit = func(n *yaml.Node, prefix string) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				visit(c, prefix)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				key := n.Content[i].Value
				if prefix != "" {
					key = prefix + "." + key
				}
				keys[n.Content[i].Line] = key
				visit(n.Content[i+1], key)
			}
		}
	}
	visit(&root, "")
	return keys
}

// Validate checks every value and the rules that tie values together.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &KeyError{Key: key, Format: format, Args: args})
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	c.validateAdminToken(bad)
	if c.MemoryLimitMiB > 0 && c.MemoryLimitMiB < MinMemoryLimitMiB {
		bad("memory_limit_mib", "%d is below %d MiB, where the garbage collector would run all the time; use 0 to follow the fleet's size, or -1 for no limit", c.MemoryLimitMiB, MinMemoryLimitMiB)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log_level", "%q is not debug, info, warn or error", c.LogLevel)
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Addr); err != nil {
		bad("http.addr", "%q is not host:port", c.HTTP.Addr)
	}
	if (c.HTTP.TLSCert == "") != (c.HTTP.TLSKey == "") {
		bad("http.tls_cert", "tls_cert and tls_key must be set together")
	}
	if !IsLoopback(c.HTTP.Addr) && c.HTTP.TLSCert == "" && !c.HTTP.Insecure {
		bad("http.addr", "%q is reachable from the network without TLS: set http.tls_cert and http.tls_key, put a TLS proxy in front and set http.allow_insecure_public: true, or listen on 127.0.0.1", c.HTTP.Addr)
	}
	c.validateMQTT(bad)
	c.validateInflux(bad)
	switch c.Ingest.UnknownDevices {
	case "accept", "reject":
	default:
		bad("ingest.unknown_devices", "%q is neither accept nor reject", c.Ingest.UnknownDevices)
	}
	c.Ingest.validateDevices(bad)
	if f := c.Ingest.Mappings; f != "" {
		if st, err := os.Stat(f); err != nil {
			bad("ingest.mappings", "%v", err)
		} else if st.IsDir() {
			bad("ingest.mappings", "%s is a directory", f)
		}
	}
	if c.Ingest.Sparkplug.Enabled && c.MQTT.TopicPrefix == "spBv1.0" {
		bad("mqtt.topic_prefix", "spBv1.0 is Sparkplug B's namespace: choose another prefix or set ingest.sparkplug.enabled: false")
	}
	c.Alerting.validate(bad)
	c.Notify.validate(bad)
	c.Report.validate(bad)
	return errors.Join(errs...)
}

func (c *Config) validateMQTT(bad func(string, string, ...any)) {
	m := c.MQTT
	if m.URL != "" {
		u, err := url.Parse(m.URL)
		if err != nil || u.Host == "" || !oneOf(u.Scheme, "tcp", "ssl", "tls", "mqtt", "mqtts", "ws", "wss") {
			bad("mqtt.url", "%q is not a broker URL such as tcp://127.0.0.1:1883", m.URL)
		}
	} else {
		if _, _, err := net.SplitHostPort(m.Listen); err != nil {
			bad("mqtt.listen", "%q is not host:port", m.Listen)
		}
		if !IsLoopback(m.Listen) && len(m.Users) == 0 {
			bad("mqtt.users", "the embedded broker listens on %q, reachable from the network: list mqtt.users so devices must log in, or listen on 127.0.0.1", m.Listen)
		}
		for i, u := range m.Users {
			if u.Username == "" || u.Password == "" {
				bad(fmt.Sprintf("mqtt.users[%d]", i), "username and password are required")
			}
		}
	}
	if m.Connections < 1 || m.Connections > 64 {
		bad("mqtt.connections", "%d must be between 1 and 64 (1 subscribes without a shared subscription, for brokers older than MQTT shared subscriptions)", m.Connections)
	}
	if m.ClientID == "" {
		bad("mqtt.client_id", "must not be empty: the persistent session is keyed on it")
	}
	if m.TopicPrefix == "" || strings.ContainsAny(m.TopicPrefix, "+#") {
		bad("mqtt.topic_prefix", "%q must be non-empty and free of + and #", m.TopicPrefix)
	}
}

func (c *Config) validateInflux(bad func(string, string, ...any)) {
	in := c.Influx
	if u, err := url.Parse(in.URL); err != nil || u.Host == "" || !oneOf(u.Scheme, "http", "https") {
		bad("influx.url", "%q is not an http(s) URL", in.URL)
	}
	if in.Bucket == "" {
		bad("influx.bucket", "must not be empty (1.8: db/rp, e.g. oxywatch/autogen)")
	}
	if in.BatchSize < 1 || in.BatchSize > 100000 {
		bad("influx.batch_size", "%d is outside 1 to 100000", in.BatchSize)
	}
	if in.Timeout <= 0 {
		bad("influx.timeout", "must be positive")
	}
	if in.MaxRetryWait < time.Second {
		bad("influx.max_retry_wait", "%s is below 1s", in.MaxRetryWait)
	}
}

// IsLoopback reports whether a host:port address only listens on loopback.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func oneOf(s string, set ...string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

// applyEnv sets every scalar key from OXYWATCH_<PATH> when present.
func applyEnv(cfg *Config, environ []string) ([]*KeyError, error) {
	env := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(k, EnvPrefix) {
			env[k] = v
		}
	}
	used := map[string]bool{}
	var errs []error
	walk(reflect.ValueOf(cfg).Elem(), "", func(key string, f reflect.Value, _ reflect.StructField) {
		name := EnvName(key)
		v, ok := env[name]
		if !ok {
			return
		}
		used[name] = true
		if err := setScalar(f, v); err != nil {
			err.Key = name + " (" + key + ")"
			errs = append(errs, err)
		}
	})
	var warnings []*KeyError
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if !used[k] && !ignoredEnv[k] {
			warnings = append(warnings, &KeyError{Key: k, Format: "environment variable that matches no configuration key ('oxywatch serve --help' lists them)"})
		}
	}
	return warnings, errors.Join(errs...)
}

// ignoredEnv are OXYWATCH_ variables read by tools, not by the server.
var ignoredEnv = map[string]bool{"OXYWATCH_REQUIRE_INTEGRATION": true, "OXYWATCH_CONFIG": true, "OXYWATCH_LANG": true}

// EnvName is the environment variable for a dotted key.
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

var durationType = reflect.TypeOf(time.Duration(0))

// walk calls fn for every scalar field with its dotted YAML key.
func walk(v reflect.Value, prefix string, fn func(key string, f reflect.Value, sf reflect.StructField)) {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := strings.Split(sf.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		key := tag
		if prefix != "" {
			key = prefix + "." + tag
		}
		f := v.Field(i)
		switch {
		case f.Kind() == reflect.Struct:
			walk(f, key, fn)
		case f.Kind() == reflect.Slice || f.Kind() == reflect.Map:
			// lists and maps come from the file only
		default:
			fn(key, f, sf)
		}
	}
}

// setScalar sets f from the environment's text s; its error's Key is for
// the caller to fill.
// openReason is why a file cannot be opened, without its path (the
// KeyError names it): "no such file or directory".
func openReason(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func setScalar(f reflect.Value, s string) *KeyError {
	bad := func(format string) *KeyError { return &KeyError{Format: format, Args: []any{s}} }
	if f.Type() == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			return bad("%q is not a duration such as 90s or 5m")
		}
		f.SetInt(int64(d))
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return bad("%q is not true or false")
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return bad("%q is not an integer")
		}
		f.SetInt(n)
	case reflect.Float64:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return bad("%q is not a number")
		}
		f.SetFloat(x)
	default:
		return &KeyError{Format: "cannot be set from the environment"}
	}
	return nil
}

// Keys lists every key settable from the environment with its variable,
// default and description, for --help and the README.
type Key struct {
	Key, Env, Default, Doc string
	Secret                 bool
}

// EmptyDefault is the Default of a key whose default is the empty string.
const EmptyDefault = "(empty)"

// Keys returns the documented keys in file order.
func Keys() []Key {
	cfg := Defaults()
	var keys []Key
	walk(reflect.ValueOf(&cfg).Elem(), "", func(key string, f reflect.Value, sf reflect.StructField) {
		def := fmt.Sprint(f.Interface())
		if f.Kind() == reflect.String && def == "" {
			def = EmptyDefault
		}
		keys = append(keys, Key{Key: key, Env: EnvName(key), Default: def, Doc: sf.Tag.Get("doc"), Secret: sf.Tag.Get("secret") == "true"})
	})
	return keys
}
