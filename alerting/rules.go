package alerting

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// Rule names, as they appear in alerts and in the rules file.
const (
	RuleOffline         = "offline"
	RuleCriticalPurity  = "critical_purity"
	RuleLowPurity       = "low_purity"
	RuleLowPressure     = "low_pressure"
	RuleHighPressure    = "high_pressure"
	RuleNoFlow          = "no_flow"
	RuleOverload        = "overload"
	RuleDeviceFault     = "device_fault"
	RulePowerLoss       = "power_loss"
	RulePurityDeclining = "purity_declining"
	RuleMaintenanceDue  = "maintenance_due"
	RuleFacilityOutage  = "facility_outage"
	RuleClockSkew       = "clock_skew"
	RuleSensorStuck     = "sensor_stuck"
)

// slot numbers the per-device rules so their state lives in a fixed array.
type slot uint8

const (
	slotOffline slot = iota
	slotCriticalPurity
	slotLowPurity
	slotLowPressure
	slotHighPressure
	slotNoFlow
	slotOverload
	slotDeviceFault
	slotPowerLoss
	slotPurityDeclining
	slotClockSkew
	slotSensorStuck
	nSlots
)

var slotNames = [nSlots]string{
	RuleOffline, RuleCriticalPurity, RuleLowPurity, RuleLowPressure, RuleHighPressure,
	RuleNoFlow, RuleOverload, RuleDeviceFault, RulePowerLoss, RulePurityDeclining,
	RuleClockSkew, RuleSensorStuck,
}

// threshold reports whether the slot is a value rule that only applies while
// the device runs and is muted while the device is offline.
func (s slot) threshold() bool { return s >= slotCriticalPurity && s <= slotOverload }

func slotByName(name string) (slot, bool) {
	i := slices.Index(slotNames[:], name)
	return slot(i), i >= 0
}

// Rules is a rules file: settings per rule, maintenance intervals per kind,
// and overrides per kind, model or device. Unset fields keep the built-in
// defaults of DOMAIN.md.
type Rules struct {
	Rules       map[string]RuleSpec            `yaml:"rules"`
	Maintenance map[string]map[string]Interval `yaml:"maintenance"` // kind → component → interval
	Alarms      map[string]AlarmSpec           `yaml:"alarms"`      // device alarm code → meaning, for every device
	Overrides   []Override                     `yaml:"overrides"`
	Flapping    Flapping                       `yaml:"flapping"`
	// Thresholds are threshold sets per kind, by use and by measurement
	// point (thresholds.go).
	Thresholds map[string]ThresholdSets `yaml:"thresholds"`
}

// RuleSpec sets one rule. Which keys a rule accepts is listed in ruleKeys.
type RuleSpec struct {
	Enabled    *bool          `yaml:"enabled"`
	Severity   string         `yaml:"severity"`
	For        *time.Duration `yaml:"for"`
	Below      *float64       `yaml:"below"`
	Above      *float64       `yaml:"above"`
	Clear      *float64       `yaml:"clear"`
	Intervals  *float64       `yaml:"intervals"`       // offline: deadline in report intervals
	Days       *int           `yaml:"days"`            // purity_declining: trend window
	SteadyFlow *float64       `yaml:"steady_flow_pct"` // purity_declining: allowed flow spread, %
	MinDevices *int           `yaml:"min_devices"`     // facility_outage
	// ForReadings: value rules also fire after this many bad readings in a
	// row (0: by time only); unset: for / report interval + 1.
	ForReadings *int `yaml:"for_readings"`
	// WarmUp: purity rules hold their alerts this long after the device
	// starts running (power restored, standby ended, restart), then fire at
	// once if purity is still below the level.
	WarmUp   *time.Duration `yaml:"warm_up"`
	Readings *int           `yaml:"readings"` // sensor_stuck: identical readings in a row
}

// Override changes rules for the devices it matches. Exactly one of Kind,
// Model and Device is set; device overrides beat model overrides, which beat
// kind overrides.
type Override struct {
	Kind        string               `yaml:"kind"`
	Model       string               `yaml:"model"`
	Device      string               `yaml:"device"`
	Rules       map[string]RuleSpec  `yaml:"rules"`
	Maintenance map[string]Interval  `yaml:"maintenance"`
	Alarms      map[string]AlarmSpec `yaml:"alarms"`
}

// AlarmSpec says what a device's alarm code means, e.g. for one model:
// `E12: {rule: critical_purity}` folds the code into that rule (which
// judges the same condition from the values, so one problem makes one
// alert); `E07: {severity: warning}` raises device_fault at that severity;
// `DOOR_OPEN: {ignore: true}` drops it. Codes match exactly; a code no
// rule file or built-in names raises a critical device_fault.
type AlarmSpec struct {
	Rule     string `yaml:"rule"`
	Severity string `yaml:"severity"`
	Ignore   bool   `yaml:"ignore"`
}

func (a AlarmSpec) validate(key string, bad func(string, string, ...any)) {
	set := 0
	for _, b := range []bool{a.Rule != "", a.Severity != "", a.Ignore} {
		if b {
			set++
		}
	}
	if set != 1 {
		bad(key, "set exactly one of rule, severity and ignore")
	}
	if a.Rule != "" {
		if sl, ok := slotByName(a.Rule); !ok || !(sl.threshold() || sl == slotPowerLoss) {
			bad(key+".rule", "%q is not a rule an alarm can fold into (critical_purity, low_purity, low_pressure, high_pressure, no_flow, overload, power_loss)", a.Rule)
		}
	}
	switch a.Severity {
	case "", string(plant.SeverityCritical), string(plant.SeverityWarning), string(plant.SeverityInfo):
	default:
		bad(key+".severity", "%q is not critical, warning or info", a.Severity)
	}
}

func validateAlarms(key string, alarms map[string]AlarmSpec, bad func(string, string, ...any)) {
	for code, a := range alarms {
		if code == "" || len(code) > 64 {
			bad(key, "alarm codes are 1 to 64 characters")
			continue
		}
		a.validate(key+"."+code, bad)
	}
}

// Interval is a component's service interval: running hours, calendar
// time, or both (whichever comes first). In the rules file it is a number
// of hours (`inlet_filter: 4000`) or a mapping
// (`filter_elements: {hours: 4380, months: 6}`, `battery: {days: 90}`).
// All zero removes the component.
type Interval struct {
	Hours  float64 `yaml:"hours"`
	Months int     `yaml:"months"`
	Days   int     `yaml:"days"`
}

func (iv Interval) zero() bool { return iv.Hours == 0 && iv.Months == 0 && iv.Days == 0 }

// UnmarshalYAML reads a number of hours or a mapping.
func (iv *Interval) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*iv = Interval{}
		return n.Decode(&iv.Hours)
	}
	type plain Interval
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*iv = Interval(p)
	return nil
}

// Flapping damps alerts that flip too often: an alert whose condition
// cleared more than Flips times within Window stays firing until the
// condition has stayed clear for Stable.
type Flapping struct {
	Flips  int           `yaml:"flips"`
	Window time.Duration `yaml:"window"`
	Stable time.Duration `yaml:"stable"`
}

// fill gives unset flapping settings their defaults.
func (f *Flapping) fill() {
	if f.Flips == 0 {
		f.Flips = DefaultFlapping.Flips
	}
	if f.Window == 0 {
		f.Window = DefaultFlapping.Window
	}
	if f.Stable == 0 {
		f.Stable = DefaultFlapping.Stable
	}
}

// ruleKeys lists the keys each rule accepts besides enabled and severity.
var ruleKeys = map[string][]string{
	RuleOffline:         {"intervals"},
	RuleCriticalPurity:  {"for", "for_readings", "below", "clear", "warm_up"},
	RuleLowPurity:       {"for", "for_readings", "below", "clear", "warm_up"},
	RuleLowPressure:     {"for", "for_readings", "below", "clear"},
	RuleHighPressure:    {"for", "for_readings", "above", "clear"},
	RuleNoFlow:          {"for", "for_readings", "below", "clear"},
	RuleOverload:        {"for", "for_readings", "above", "clear"},
	RuleDeviceFault:     {"for"},
	RulePowerLoss:       {"for"},
	RulePurityDeclining: {"above", "clear", "days", "steady_flow_pct"},
	RuleMaintenanceDue:  {"above"},
	RuleFacilityOutage:  {"min_devices", "for"},
	RuleClockSkew:       {"above", "clear"},
	RuleSensorStuck:     {"readings"},
}

// DefaultFlapping is used when the rules file sets no flapping.
var DefaultFlapping = Flapping{Flips: 4, Window: time.Hour, Stable: 15 * time.Minute}

// LoadRules reads and validates a rules file; an empty path gives the
// built-in defaults. Errors name the bad key, e.g. rules.low_purity.below.
func LoadRules(path string) (Rules, error) {
	if path == "" {
		return Rules{Flapping: DefaultFlapping}, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Rules{}, fmt.Errorf("read rules: %w", err)
	}
	r, err := ParseRules(b)
	if err != nil {
		return Rules{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// ParseRules decodes and validates rules from YAML.
func ParseRules(b []byte) (Rules, error) {
	r := Rules{}
	if len(bytes.TrimSpace(b)) > 0 {
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&r); err != nil {
			return Rules{}, nameLine(b, err)
		}
	}
	r.Flapping.fill()
	if err := r.Validate(); err != nil {
		return Rules{}, err
	}
	return r, nil
}

// Validate checks every rule, interval and override; the error joins one
// message per bad key.
func (r *Rules) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	validateSpecs("rules", r.Rules, bad)
	validateAlarms("alarms", r.Alarms, bad)
	validateThresholds(r.Thresholds, bad)
	for kind, comps := range r.Maintenance {
		if _, err := plant.ParseKind(kind); err != nil {
			bad("maintenance."+kind, "%v", err)
		}
		validateIntervals("maintenance."+kind, comps, bad)
	}
	for i, o := range r.Overrides {
		o.validate(fmt.Sprintf("overrides[%d]", i), bad)
	}
	f := r.Flapping
	if f.Flips < 1 || f.Flips > 100 {
		bad("flapping.flips", "%d is outside 1 to 100", f.Flips)
	}
	if f.Window < time.Minute || f.Stable < 0 || f.Stable > f.Window {
		bad("flapping.window", "window must be at least 1m and stable between 0 and window")
	}
	return errors.Join(errs...)
}

func (o Override) validate(key string, bad func(string, string, ...any)) {
	set := 0
	for _, s := range []string{o.Kind, o.Model, o.Device} {
		if s != "" {
			set++
		}
	}
	if set != 1 {
		bad(key, "set exactly one of kind, model and device")
	}
	if o.Kind != "" {
		if _, err := plant.ParseKind(o.Kind); err != nil {
			bad(key+".kind", "%v", err)
		}
	}
	validateSpecs(key+".rules", o.Rules, bad)
	validateIntervals(key+".maintenance", o.Maintenance, bad)
	validateAlarms(key+".alarms", o.Alarms, bad)
}

func validateIntervals(key string, comps map[string]Interval, bad func(string, string, ...any)) {
	for c, iv := range comps {
		if !componentName.MatchString(c) {
			bad(key+"."+c, "component names are lower-case letters, digits and _")
		}
		if h := iv.Hours; math.IsNaN(h) || h < 0 || h > 1e6 {
			bad(key+"."+c, "%g hours is outside 0 to 1000000 (0 disables)", h)
		}
		if iv.Months < 0 || iv.Months > 120 {
			bad(key+"."+c+".months", "%d is outside 0 to 120", iv.Months)
		}
		if iv.Days < 0 || iv.Days > 3650 {
			bad(key+"."+c+".days", "%d is outside 0 to 3650", iv.Days)
		}
	}
}

var componentName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

func validateSpecs(prefix string, specs map[string]RuleSpec, bad func(string, string, ...any)) {
	for name, s := range specs {
		keys, ok := ruleKeys[name]
		key := prefix + "." + name
		if !ok {
			bad(key, "unknown rule (want one of %s)", strings.Join(ruleNames(), ", "))
			continue
		}
		for _, k := range s.setKeys() {
			if !slices.Contains(keys, k) {
				bad(key+"."+k, "not a setting of %s (it takes enabled, severity, %s)", name, strings.Join(keys, ", "))
			}
		}
		s.validateValues(key, bad)
	}
}

func (s RuleSpec) setKeys() []string {
	var out []string
	add := func(set bool, k string) {
		if set {
			out = append(out, k)
		}
	}
	add(s.For != nil, "for")
	add(s.Below != nil, "below")
	add(s.Above != nil, "above")
	add(s.Clear != nil, "clear")
	add(s.Intervals != nil, "intervals")
	add(s.Days != nil, "days")
	add(s.SteadyFlow != nil, "steady_flow_pct")
	add(s.MinDevices != nil, "min_devices")
	add(s.ForReadings != nil, "for_readings")
	add(s.WarmUp != nil, "warm_up")
	add(s.Readings != nil, "readings")
	return out
}

func (s RuleSpec) validateValues(key string, bad func(string, string, ...any)) {
	switch s.Severity {
	case "", string(plant.SeverityCritical), string(plant.SeverityWarning), string(plant.SeverityInfo):
	default:
		bad(key+".severity", "%q is not critical, warning or info", s.Severity)
	}
	if s.For != nil && (*s.For < 0 || *s.For > 7*24*time.Hour) {
		bad(key+".for", "%s is outside 0 to 168h", *s.For)
	}
	for _, f := range []struct {
		k string
		v *float64
	}{{"below", s.Below}, {"above", s.Above}, {"clear", s.Clear}, {"steady_flow_pct", s.SteadyFlow}} {
		if f.v != nil && (math.IsNaN(*f.v) || math.IsInf(*f.v, 0) || *f.v < 0 || *f.v > 100000) {
			bad(key+"."+f.k, "%g is outside 0 to 100000", *f.v)
		}
	}
	if s.Intervals != nil && (*s.Intervals < 1 || *s.Intervals > 1000) {
		bad(key+".intervals", "%g is outside 1 to 1000", *s.Intervals)
	}
	if s.Days != nil && (*s.Days < 3 || *s.Days > 7) {
		bad(key+".days", "%d is outside 3 to 7", *s.Days)
	}
	if s.ForReadings != nil && (*s.ForReadings < 0 || *s.ForReadings > 1000) {
		bad(key+".for_readings", "%d is outside 0 to 1000", *s.ForReadings)
	}
	if s.WarmUp != nil && (*s.WarmUp < 0 || *s.WarmUp > 24*time.Hour) {
		bad(key+".warm_up", "%s is outside 0 to 24h", *s.WarmUp)
	}
	if s.Readings != nil && (*s.Readings < 3 || *s.Readings > 10000) {
		bad(key+".readings", "%d is outside 3 to 10000", *s.Readings)
	}
	if s.MinDevices != nil && *s.MinDevices < 1 {
		bad(key+".min_devices", "must be at least 1")
	}
	if s.Below != nil && s.Clear != nil && *s.Clear < *s.Below {
		bad(key+".clear", "%g is below the firing level %g: the clear level must leave a margin above it", *s.Clear, *s.Below)
	}
	if s.Above != nil && s.Clear != nil && *s.Clear > *s.Above && !strings.HasSuffix(key, RulePurityDeclining) {
		bad(key+".clear", "%g is above the firing level %g: the clear level must leave a margin below it", *s.Clear, *s.Above)
	}
}

func ruleNames() []string {
	out := make([]string, 0, len(ruleKeys))
	for k := range ruleKeys {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var yamlLine = regexp.MustCompile(`line (\d+): `)

// nameLine adds the dotted key found on the line a yaml error points at.
func nameLine(src []byte, err error) error {
	var root yaml.Node
	msg := strings.ReplaceAll(err.Error(), "yaml: ", "")
	if yaml.Unmarshal(src, &root) != nil {
		return errors.New(msg)
	}
	keys := map[int]string{}
	collectKeys(&root, "", keys)
	msg = yamlLine.ReplaceAllStringFunc(msg, func(m string) string {
		n, _ := strconv.Atoi(yamlLine.FindStringSubmatch(m)[1])
		if k, ok := keys[n]; ok {
			return fmt.Sprintf("line %d: key %s: ", n, k)
		}
		return m
	})
	return errors.New(msg)
}

func collectKeys(n *yaml.Node, prefix string, keys map[int]string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			collectKeys(c, prefix, keys)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			collectKeys(c, fmt.Sprintf("%s[%d]", prefix, i), keys)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if prefix != "" {
				k = prefix + "." + k
			}
			keys[n.Content[i].Line] = k
			collectKeys(n.Content[i+1], k, keys)
		}
	}
}
