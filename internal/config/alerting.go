package config

import (
	"os"
	"time"
)

// Alerting configures the rule engine. The alerting feature owns this file.
// The rules themselves live in their own YAML file (rules_file), which
// `oxywatch check-config` validates with alerting.LoadRules.
type Alerting struct {
	RulesFile    string        `yaml:"rules_file" doc:"YAML file of alert rules; empty uses the built-in defaults"`
	KeepResolved time.Duration `yaml:"keep_resolved" doc:"resolved alerts older than this are deleted (uptime reports read the status timeline, not alerts)"`
}

// DefaultKeepResolved keeps resolved alerts two years.
const DefaultKeepResolved = 2 * 365 * 24 * time.Hour

func defaultAlerting() Alerting { return Alerting{KeepResolved: DefaultKeepResolved} }

func (a *Alerting) validate(bad func(key, format string, args ...any)) {
	if a.KeepResolved < 24*time.Hour {
		bad("alerting.keep_resolved", "%s is shorter than a day; resolved alerts are the history engineers look back on (e.g. 17520h for two years)", a.KeepResolved)
	}
	if a.RulesFile == "" {
		return
	}
	if st, err := os.Stat(a.RulesFile); err != nil {
		bad("alerting.rules_file", "%v", err)
	} else if st.IsDir() {
		bad("alerting.rules_file", "%s is a directory", a.RulesFile)
	}
}
