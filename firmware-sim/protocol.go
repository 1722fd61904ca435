package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/oxywatch/oxywatch/firmware-sim/httppub"
	"github.com/oxywatch/oxywatch/firmware-sim/mqttpub"
	"github.com/oxywatch/oxywatch/firmware-sim/sim"
)

// deviceOptions select how devices reach OxyWatch when not over MQTT
// (issue 19): --protocol http posts each payload to POST
// /api/v1/ingest/DEVICE with a device token; --protocol sms texts what
// changed, as an SMS-only alarm module does, to the inbound-SMS webhook.
type deviceOptions struct {
	protocol   string
	url        string
	tokenFile  string
	smsURL     string
	smsNumbers string
}

func (d *deviceOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&d.protocol, "protocol", "json", "how devices send: over MQTT json (CONTRACT §3), vendor-json (Spanish keys, Nm³/h; model "+mqttpub.VendorModel+") or sparkplug (Sparkplug B edge nodes); http (POST /api/v1/ingest/DEVICE with --url and --device-token-file) or sms (alarm texts to --sms-url, numbers from --sms-numbers)")
	fs.StringVar(&d.url, "url", "http://127.0.0.1:8080", "--protocol http: OxyWatch base `URL`")
	fs.StringVar(&d.tokenFile, "device-token-file", "", "--protocol http: `FILE` of lines DEVICE TOKEN, or one token for every device (oxywatch device-token create)")
	fs.StringVar(&d.smsURL, "sms-url", "", "--protocol sms: the inbound-SMS webhook `URL` with its ?token=")
	fs.StringVar(&d.smsNumbers, "sms-numbers", "", "--protocol sms: CSV `FILE` of DEVICE,+E164 lines (the numbers registered as the devices' sms_number)")
}

func (d *deviceOptions) check() error {
	switch d.protocol {
	case "mqtt":
		return nil
	case "http":
		if d.tokenFile == "" {
			return errors.New("--protocol http needs --device-token-file (make tokens with: oxywatch device-token create DEVICE)")
		}
	case "sms":
		if d.smsURL == "" || d.smsNumbers == "" {
			return errors.New("--protocol sms needs --sms-url and --sms-numbers")
		}
	default:
		return fmt.Errorf("--protocol %q: want mqtt, http or sms", d.protocol)
	}
	return nil
}

// endpoint names where --protocol http or sms sends, for the log (never
// the webhook's token).
func (d *deviceOptions) endpoint() string {
	if d.protocol == "sms" {
		u, _, _ := strings.Cut(d.smsURL, "?")
		return u
	}
	return d.url
}

// devicePublisher is the publisher of --protocol http or sms; ok is false
// for MQTT.
func (r *runner) devicePublisher() (pub sim.Publisher, ok bool, err error) {
	d := r.o.dev
	switch d.protocol {
	case "http":
		toks, err := httppub.ReadTokens(d.tokenFile)
		if err != nil {
			return nil, true, fmt.Errorf("--device-token-file: %w", err)
		}
		p, err := httppub.New(httppub.Options{URL: d.url, Tokens: toks, QueueLen: r.o.queue, OnResult: r.results.record, Log: r.log})
		return p, true, err
	case "sms":
		nums, err := readNumbers(d.smsNumbers)
		if err != nil {
			return nil, true, fmt.Errorf("--sms-numbers: %w", err)
		}
		p, err := httppub.NewSMS(httppub.SMSOptions{URL: d.smsURL, Numbers: nums, QueueLen: r.o.queue, OnResult: r.results.record, Log: r.log})
		return p, true, err
	}
	return nil, false, nil
}

// readNumbers reads DEVICE,+E164 lines.
func readNumbers(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.Comment, cr.FieldsPerRecord = '#', 2
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, row := range rows {
		dev, num := strings.TrimSpace(row[0]), strings.TrimSpace(row[1])
		if dev == "device" || dev == "id" {
			continue // a header
		}
		if !strings.HasPrefix(num, "+") {
			return nil, fmt.Errorf("%s: number %q of %s is not E.164 (+ and digits)", path, num, dev)
		}
		out[dev] = num
	}
	return out, nil
}
