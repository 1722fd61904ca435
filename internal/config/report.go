package config

import (
	"net/url"
	"time"
	_ "time/tzdata" // month boundaries must not depend on the host having zoneinfo
)

// Report configures uptime reports and the DHIS2 export. The reporting
// feature owns this file.
type Report struct {
	TimeZone      string        `yaml:"time_zone" doc:"IANA zone for month and day boundaries, e.g. Africa/Kampala"`
	LitresPerBed  float64       `yaml:"litres_per_bed_lpm" doc:"demand per bed in L/min when a facility has no demand_lpm (general ward bed, 2-3 L/min)"`
	MaxReadingGap time.Duration `yaml:"max_reading_gap" doc:"longest time one flow reading counts for when integrating oxygen produced"`
	OutageListMin time.Duration `yaml:"outage_list_min" doc:"shortest outage listed one by one in reports (all outages are counted)"`
	OutageListMax int           `yaml:"outage_list_max" doc:"most outages listed one by one (the longest); the rest are counted"`
	TimelineBatch int           `yaml:"timeline_batch" doc:"devices whose status timelines are read at once"`
	DHIS2         DHIS2         `yaml:"dhis2"`
}

// DHIS2 is the national health information system the monthly figures go to.
type DHIS2 struct {
	URL         string        `yaml:"url" doc:"DHIS2 base URL, e.g. https://dhis2.health.go.ug; empty disables pushing"`
	Username    string        `yaml:"username" doc:"DHIS2 user for basic auth (or use token)"`
	Password    string        `yaml:"password" doc:"DHIS2 password for basic auth" secret:"true"`
	Token       string        `yaml:"token" doc:"DHIS2 personal access token (d2pat_...), sent as Authorization: ApiToken" secret:"true"`
	MappingFile string        `yaml:"mapping_file" doc:"YAML file mapping indicators to data elements and facilities to org units"`
	PushDay     int           `yaml:"push_day" doc:"day of the month (1-28) on which the previous month is pushed; 0 disables the scheduled push"`
	PushHour    int           `yaml:"push_hour" doc:"local hour (0-23) of the scheduled push"`
	Timeout     time.Duration `yaml:"timeout" doc:"time limit of one push request"`
}

func defaultReport() Report {
	return Report{
		TimeZone:      "UTC",
		LitresPerBed:  2.5,
		MaxReadingGap: 5 * time.Minute,
		OutageListMin: time.Hour,
		OutageListMax: 500,
		TimelineBatch: 500,
		DHIS2:         DHIS2{PushHour: 6, Timeout: 60 * time.Second},
	}
}

func (r *Report) validate(bad func(key, format string, args ...any)) {
	if _, err := time.LoadLocation(r.TimeZone); err != nil || r.TimeZone == "" {
		bad("report.time_zone", "%q is not an IANA time zone such as Africa/Kampala", r.TimeZone)
	}
	if r.LitresPerBed < 0 || r.LitresPerBed > 100 {
		bad("report.litres_per_bed_lpm", "%g is outside 0 to 100", r.LitresPerBed)
	}
	if r.MaxReadingGap < time.Second {
		bad("report.max_reading_gap", "%s is below 1s", r.MaxReadingGap)
	}
	if r.OutageListMin < 0 {
		bad("report.outage_list_min", "must not be negative")
	}
	if r.OutageListMax < 0 || r.OutageListMax > 100000 {
		bad("report.outage_list_max", "%d is outside 0 to 100000", r.OutageListMax)
	}
	if r.TimelineBatch < 1 || r.TimelineBatch > 100000 {
		bad("report.timeline_batch", "%d is outside 1 to 100000", r.TimelineBatch)
	}
	r.DHIS2.validate(bad)
}

func (d *DHIS2) validate(bad func(key, format string, args ...any)) {
	if d.URL != "" {
		if u, err := url.Parse(d.URL); err != nil || u.Host == "" || !oneOf(u.Scheme, "http", "https") {
			bad("report.dhis2.url", "%q is not an http(s) URL", d.URL)
		}
		if d.MappingFile == "" {
			bad("report.dhis2.mapping_file", "required when report.dhis2.url is set")
		}
	}
	if d.Token != "" && (d.Username != "" || d.Password != "") {
		bad("report.dhis2.token", "set either token or username and password, not both")
	}
	if (d.Username == "") != (d.Password == "") {
		bad("report.dhis2.username", "username and password must be set together")
	}
	if d.PushDay < 0 || d.PushDay > 28 {
		bad("report.dhis2.push_day", "%d is outside 0 to 28", d.PushDay)
	}
	if d.PushDay > 0 && d.URL == "" {
		bad("report.dhis2.push_day", "a scheduled push needs report.dhis2.url")
	}
	if d.PushHour < 0 || d.PushHour > 23 {
		bad("report.dhis2.push_hour", "%d is outside 0 to 23", d.PushHour)
	}
	if d.Timeout <= 0 {
		bad("report.dhis2.timeout", "must be positive")
	}
}

// Location returns the report time zone; UTC when it does not load.
func (r Report) Location() *time.Location {
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}
