package config

// Report configures uptime reports and the DHIS2 export. The reporting
// feature owns this file.
type Report struct {
	TimeZone string `yaml:"time_zone" doc:"IANA zone for month boundaries, e.g. Africa/Kampala"`
}

func defaultReport() Report { return Report{TimeZone: "UTC"} }

func (r *Report) validate(bad func(key, format string, args ...any)) {}
