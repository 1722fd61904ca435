package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/oxywatch/oxywatch/firmware-sim/mqttpub"
	"github.com/oxywatch/oxywatch/firmware-sim/scenario"
)

var (
	errHelp  = errors.New("help shown")
	errUsage = errors.New("bad usage")
)

// options are the command-line flags, parsed and checked.
type options struct {
	broker, prefix        string
	username, password    string
	devicePassword        string
	devices, facilities   int
	fleet, writeFleet     string
	scenario              string
	seed                  uint64
	speed                 float64
	interval, duration    time.Duration
	start                 string
	rate                  float64
	stamp                 bool
	randomFaults, drops   float64
	backlog, queue        int
	dryRun, listScenarios bool
	truth                 string
	logLevel              slog.Level
	progress              time.Duration
	dev                   deviceOptions    // --protocol http|sms (protocol.go)
	protocol              mqttpub.Protocol // MQTT payloads: json, vendor-json or sparkplug
	group                 string
}

const usageHead = `firmware-sim simulates OxyWatch devices (PSA plants, oxygen concentrators,
liquid oxygen tanks) and publishes their telemetry over MQTT as real firmware
does: o2/DEVICE/telemetry (QoS 1, single readings or backlog arrays after an
outage) and o2/DEVICE/status (online, and offline as the last will).

Usage: firmware-sim [flags]

Examples:
  firmware-sim                                   # 40 devices, demo scenario, real time
  firmware-sim --broker tcp://10.0.0.5:1883 --devices 40 --scenario demo
  firmware-sim --scenario sieve-wear-30d --speed 43200 --duration 1m
                                                 # 30 simulated days in one minute
  firmware-sim --devices 500 --rate 10000 --stamp --duration 30s
                                                 # load: 10,000 readings/s
  firmware-sim --fleet inventory.csv --device-password 'secret-{id}'
  firmware-sim --write-fleet fleet.csv           # the generated fleet, for the API import
  firmware-sim --dry-run --duration 5s           # print payloads instead of publishing
  firmware-sim --protocol sparkplug              # each device a Sparkplug B edge node

Flags:
`

const usageTail = `
Time: simulated time runs --speed times faster than real time, but never
ahead of the present (the server rejects readings more than 5 minutes in the
future). With --speed above 1 the run therefore starts in the past: by
default so far back that it catches up with the present when --duration ends
(one hour if --duration is 0); --start sets it. Device timestamps are always
the simulated time.

Load mode (--rate R): every device reports every devices×speed/R simulated
seconds, so the fleet produces R readings per real second. Each second a line
shows readings produced, acknowledged by the broker, publish errors and the
publish-to-acknowledgement latency. --stamp adds "sim_sent_ns" (Unix ns at
production) to every reading so a consumer can measure end-to-end latency;
the server counts it as an unknown key and ignores it.

Credentials: by default each device logs in with its id as username and
--device-password ("{id}" is replaced by the id), or the fleet CSV's password
column; --username/--password make every device share one login.

Fleet CSV: the API import's columns (id, kind, model, facility, region,
country, rated_flow_lpm, report_interval_s) plus optional password, booster
and generator (true/false). Rows of kinds without a model here
(cylinder_bank, unknown) are skipped.

Ctrl-C stops cleanly: every device publishes "offline" (retained) and
disconnects. A second Ctrl-C exits at once.
`

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("firmware-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.broker, "broker", "tcp://127.0.0.1:1883", "MQTT broker `URL` (tcp://host:port)")
	fs.StringVar(&o.prefix, "prefix", "o2", "MQTT topic prefix")
	fs.IntVar(&o.devices, "devices", 40, "generated fleet size `N` (ignored with --fleet)")
	fs.IntVar(&o.facilities, "facilities", 0, "facilities of the generated fleet (0: about one per 7 devices)")
	fs.StringVar(&o.fleet, "fleet", "", "CSV inventory `FILE`, same columns as the API import")
	fs.StringVar(&o.writeFleet, "write-fleet", "", "write the fleet as CSV to `FILE` (- for stdout) and exit")
	fs.StringVar(&o.scenario, "scenario", "demo", "timed events: a built-in name ("+strings.Join(scenario.Builtins(), ", ")+") or a YAML `FILE`")
	fs.BoolVar(&o.listScenarios, "list-scenarios", false, "describe the built-in scenarios and exit")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed `N`; the same seed, fleet and flags replay a run exactly")
	fs.Float64Var(&o.speed, "speed", 1, "simulated seconds per real second")
	fs.DurationVar(&o.interval, "interval", time.Minute, "report interval per device, simulated time")
	fs.DurationVar(&o.duration, "duration", 0, "stop after this much real time (0: until Ctrl-C)")
	fs.StringVar(&o.start, "start", "", "simulated start: RFC 3339, or relative to now such as -30d or -2h (default: see Time below)")
	fs.Float64Var(&o.rate, "rate", 0, "load mode: readings per second `R` across the fleet (0: off)")
	fs.BoolVar(&o.stamp, "stamp", false, "add sim_sent_ns (production time, Unix ns) to readings for end-to-end latency")
	fs.Float64Var(&o.randomFaults, "random-faults", -1, "random faults per device and simulated day (-1: the scenario's)")
	fs.Float64Var(&o.drops, "gsm-drops", -1, "GSM drop-outs per device and simulated day (-1: the scenario's)")
	fs.IntVar(&o.backlog, "backlog", 20000, "readings a device keeps while offline (the oldest go first)")
	fs.IntVar(&o.queue, "queue", 1024, "telemetry payloads queued per device connection")
	fs.StringVar(&o.username, "username", "", "one MQTT username for every device (default: each device's id)")
	fs.StringVar(&o.password, "password", "", "MQTT password with --username")
	fs.StringVar(&o.devicePassword, "device-password", "", "per-device MQTT password; {id} is replaced by the device id")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print TOPIC PAYLOAD lines to stdout instead of publishing")
	fs.StringVar(&o.truth, "truth", "", "append every injected fault as a JSON line to `FILE` (ground truth)")
	fs.DurationVar(&o.progress, "progress", 0, "progress line period (0: 1s on a terminal or in load mode, else 10s)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	o.dev.flags(fs)
	fs.StringVar(&o.group, "sparkplug-group", "oxywatch", "Sparkplug B group id with --protocol sparkplug")
	fs.Usage = func() {
		fmt.Fprint(stderr, usageHead)
		fs.PrintDefaults()
		fmt.Fprint(stderr, usageTail)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "firmware-sim: unexpected argument %q (see --help)\n", fs.Arg(0))
		return nil, errUsage
	}
	if err := o.logLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", *logLevel)
	}
	if err := o.splitProtocol(); err != nil {
		return nil, err
	}
	return o, o.check()
}

// splitProtocol reads --protocol: json (or mqtt), vendor-json and
// sparkplug are MQTT payloads; http and sms are the device options' own.
func (o *options) splitProtocol() error {
	switch p := o.dev.protocol; p {
	case "http", "sms":
		o.protocol = mqttpub.JSON
		return nil
	case "mqtt":
		o.protocol, o.dev.protocol = mqttpub.JSON, "mqtt"
		return nil
	default:
		mp, err := mqttpub.ParseProtocol(p)
		if err != nil {
			return fmt.Errorf("--protocol %q: want json, vendor-json, sparkplug, http or sms", p)
		}
		o.protocol, o.dev.protocol = mp, "mqtt"
		return nil
	}
}

func (o *options) check() error {
	if err := o.dev.check(); err != nil {
		return err
	}
	switch {
	case o.devices < 1 && o.fleet == "":
		return fmt.Errorf("--devices %d: want at least 1", o.devices)
	case o.speed <= 0:
		return fmt.Errorf("--speed %g: want a positive number", o.speed)
	case o.interval <= 0:
		return fmt.Errorf("--interval %s: want a positive duration", o.interval)
	case o.duration < 0:
		return fmt.Errorf("--duration %s: want 0 or more", o.duration)
	case o.rate < 0:
		return fmt.Errorf("--rate %g: want 0 (off) or more", o.rate)
	case o.backlog < 1:
		return fmt.Errorf("--backlog %d: want at least 1", o.backlog)
	case o.queue < 1:
		return fmt.Errorf("--queue %d: want at least 1", o.queue)
	case o.password != "" && o.username == "":
		return fmt.Errorf("--password needs --username (per-device passwords: --device-password)")
	}
	return nil
}

// startTime is the simulated start: --start, or far enough back that an
// accelerated run reaches the present when --duration ends.
func (o *options) startTime(now time.Time) (time.Time, error) {
	if o.start == "" {
		if o.speed <= 1 {
			return now, nil
		}
		span := o.duration
		if span == 0 {
			span = time.Hour
		}
		return now.Add(-time.Duration((o.speed - 1) * float64(span))), nil
	}
	if rel, ok := strings.CutPrefix(o.start, "-"); ok {
		d, err := scenario.ParseDuration(rel)
		if err != nil {
			return time.Time{}, fmt.Errorf("--start %q: %w", o.start, err)
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, o.start)
	if err != nil {
		return time.Time{}, fmt.Errorf("--start %q: want RFC 3339 (2026-11-01T00:00:00Z) or -30d", o.start)
	}
	if t.After(now) {
		return time.Time{}, fmt.Errorf("--start %s is in the future: the server would reject the readings", o.start)
	}
	return t, nil
}
