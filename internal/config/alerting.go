package config

import "os"

// Alerting configures the rule engine. The alerting feature owns this file.
// The rules themselves live in their own YAML file (rules_file), which
// `oxywatch check-config` validates with alerting.LoadRules.
type Alerting struct {
	RulesFile string `yaml:"rules_file" doc:"YAML file of alert rules; empty uses the built-in defaults"`
}

func defaultAlerting() Alerting { return Alerting{} }

func (a *Alerting) validate(bad func(key, format string, args ...any)) {
	if a.RulesFile == "" {
		return
	}
	if st, err := os.Stat(a.RulesFile); err != nil {
		bad("alerting.rules_file", "%v", err)
	} else if st.IsDir() {
		bad("alerting.rules_file", "%s is a directory", a.RulesFile)
	}
}
