package config

import "os"

// IngestHTTP configures HTTP ingest (POST /api/v1/ingest), for devices
// that post readings instead of publishing them over MQTT.
type IngestHTTP struct {
	Rate  float64 `yaml:"rate" doc:"HTTP ingest: requests per second each device may post (a backlog goes as arrays of up to 1000 readings); negative: no limit"`
	Burst int     `yaml:"burst" doc:"HTTP ingest: requests a device may post at once before the rate applies"`
}

func defaultIngestHTTP() IngestHTTP { return IngestHTTP{Rate: 1, Burst: 60} }

// IngestSMS configures alarm SMS from devices: an SMS from a registered
// device's sms_number is read with its model's text patterns. The patterns
// file is validated by `oxywatch check-config` (smsalarm.LoadFile).
type IngestSMS struct {
	PatternsFile string `yaml:"patterns_file" doc:"YAML file of alarm-SMS text patterns per device model; empty: the built-in patterns only"`
}

func (i *Ingest) validateDevices(bad func(key, format string, args ...any)) {
	if i.HTTP.Rate == 0 {
		bad("ingest.http.rate", "must not be 0 (no device could post); a negative value means no limit")
	}
	if i.HTTP.Burst < 1 {
		bad("ingest.http.burst", "%d must be at least 1", i.HTTP.Burst)
	}
	if f := i.SMS.PatternsFile; f != "" {
		if st, err := os.Stat(f); err != nil {
			bad("ingest.sms.patterns_file", "%v", err)
		} else if st.IsDir() {
			bad("ingest.sms.patterns_file", "%s is a directory", f)
		}
	}
}
