package config

// Alerting configures the rule engine. The alerting feature owns this file.
type Alerting struct {
	RulesFile string `yaml:"rules_file" doc:"YAML file of alert rules; empty uses the built-in defaults"`
}

func defaultAlerting() Alerting { return Alerting{} }

func (a *Alerting) validate(bad func(key, format string, args ...any)) {}
