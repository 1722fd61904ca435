package i18n

// cliEN are the command line's words (cmd/oxywatch, and the report tool's
// notices and errors, report/tool.go), keyed "cli.". Log lines (slog) are
// for operators and stay English; everything printed for a person is here.
// Flag names, keys, commands and file names are written as they are typed.
var cliEN = map[Key]entry{
	"cli.usage": s(`oxywatch — monitoring for medical oxygen plants and concentrators

Usage:
  oxywatch serve [--config FILE]            run the ingester, alerting, API and dashboard
  oxywatch check-config FILE                validate a configuration file (and the
                                            rules, routes and mappings it names) and exit
  oxywatch token [--config FILE] COMMAND    create, list or revoke API tokens
  oxywatch device-token [--config FILE] COMMAND
                                            create, list or revoke device tokens
                                            (HTTP ingest: POST /api/v1/ingest/DEVICE)
  oxywatch report [--config FILE] COMMAND   uptime, supply, monthly and DHIS2 reports
  oxywatch buffer [--config FILE] COMMAND   the ingest buffer: replay-dead-letters resends
                                            the readings InfluxDB refused
  oxywatch version                          print the version

Every configuration key can also be set by an environment variable; run
'oxywatch serve --help' for the list with defaults. Messages are in English,
French or Portuguese: OXYWATCH_LANG=fr, else LC_ALL, LC_MESSAGES or LANG,
else notify.language.
`),
	"cli.no_command":       s("no command given"),
	"cli.unknown_command":  s("unknown command %q"),
	"cli.warning":          s("warning: %s"),
	"cli.config_invalid":   s("configuration is not valid:\n%v"),
	"cli.config_keys":      s("Configuration keys (YAML key, environment variable, default, meaning):"),
	"cli.flag_default":     s("(default %s)"),
	"cli.flags":            s("Flags:"),
	"cli.flag.config":      s("YAML configuration file (env OXYWATCH_CONFIG)"),
	"cli.flag.config_data": s("YAML configuration file (env OXYWATCH_CONFIG); its data_dir holds the database"),
	"cli.data_dir_failed":  s("data dir %[1]s: %[2]v"),

	// check-config
	"cli.check.usage":          s("Usage: oxywatch check-config FILE\n\nValidates FILE and the OXYWATCH_* environment; exits 1 naming each bad key."),
	"cli.check.one_file":       s("check-config needs exactly one FILE"),
	"cli.check.rules_valid":    s("alert rules are valid"),
	"cli.check.mappings_valid": pl(1, "ingest mappings are valid (%d model)", "ingest mappings are valid (%d models)"),
	"cli.check.dhis2_valid":    s("DHIS2 mapping is valid"),
	"cli.check.sms_valid":      s("SMS patterns are valid"),
	"cli.check.file_valid":     s("%[1]s: %[2]s"),
	"cli.check.file_bad":       s("%[1]s %[2]s: %[3]s"),
	"cli.check.key_bad":        s("%[1]s %[2]s"),
	"cli.check.files_invalid":  s("configuration is not valid:\n  %s"),
	"cli.check.valid":          s("%s: configuration is valid"),

	// serve
	"cli.serve.usage": s(`Usage: oxywatch serve [--config FILE]

Runs the MQTT ingester (with an embedded broker unless mqtt.url is set),
the InfluxDB writer, alerting, the API, the dashboard and /metrics.

Flags:`),
	"cli.serve.admin_token":    s("OxyWatch admin token (shown once; keep it safe, or create others with `oxywatch token create`): %s"),
	"cli.serve.start_failed":   s("cannot start: %v"),
	"cli.serve.restart_failed": s("start again: %v"),

	// token
	"cli.token.help": s(`Usage: oxywatch token [--config FILE] COMMAND

Commands:
  create --role viewer|engineer|admin [--regions north,east] [--name NAME]
         prints the new token once on stdout
  list   tokens with their role, regions and last use (never the secrets)
  revoke ID

The tokens live in the SQLite database under data_dir; a running server
sees changes at once.`),
	"cli.token.usage": s(`usage:
  oxywatch token create --role viewer|engineer|admin [--regions north,east] [--name NAME]
  oxywatch token list
  oxywatch token revoke ID`),
	"cli.token.missing_sub":    s("token: missing subcommand"),
	"cli.token.unknown_sub":    s("token: unknown subcommand %q"),
	"cli.token.revoke_one":     s("token revoke: give one token id"),
	"cli.token.revoked":        s("revoked %s"),
	"cli.token.flag.role":      s("viewer, engineer or admin"),
	"cli.token.flag.regions":   s("comma-separated regions the token is limited to (empty: all)"),
	"cli.token.flag.name":      s("who or what the token is for"),
	"cli.token.unexpected_arg": s("token create: unexpected argument %q"),
	"cli.token.create_failed":  s("token create: %v"),
	"cli.token.created":        s("created token %[1]s (role %[2]s, regions %[3]s); it is shown once:"),
	"cli.token.list_header":    s("ID\tNAME\tROLE\tREGIONS\tCREATED\tREVOKED"),
	"cli.token.all_regions":    s("all"),

	// device-token
	"cli.devtoken.help": s(`Usage: oxywatch device-token [--config FILE] COMMAND

Device tokens let devices without MQTT post readings over HTTP
(POST /api/v1/ingest/DEVICE, Authorization: Bearer TOKEN). A token posts
readings of its own devices and can do nothing else.

Commands:
  create [--name NAME] DEVICE [DEVICE...]
         prints the new token once on stdout; the devices must be registered;
         several devices make a gateway's token (POST /api/v1/ingest)
  list [DEVICE]
         tokens with their devices (never the secrets)
  revoke ID

The tokens live in the SQLite database under data_dir; a running server
sees changes within seconds.`),
	"cli.devtoken.usage": s(`usage:
  oxywatch device-token create [--name NAME] DEVICE [DEVICE...]
         prints the new token once on stdout; several devices make a gateway's token
  oxywatch device-token list [DEVICE]
  oxywatch device-token revoke ID`),
	"cli.devtoken.missing_sub":   s("device-token: missing subcommand"),
	"cli.devtoken.unknown_sub":   s("device-token: unknown subcommand %q"),
	"cli.devtoken.list_one":      s("device-token list: give at most one device"),
	"cli.devtoken.revoke_one":    s("device-token revoke: give one token id (see: oxywatch device-token list)"),
	"cli.devtoken.flag.name":     s("what the token is for (e.g. the gateway)"),
	"cli.devtoken.create_failed": s("device-token create: %v"),
	"cli.devtoken.created":       s("created device token %[1]s for %[2]s; it is shown once:"),
	"cli.devtoken.list_header":   s("ID\tNAME\tDEVICES\tCREATED\tREVOKED"),

	// buffer
	"cli.buffer.help": s(`Usage: oxywatch buffer [--config FILE] COMMAND [flags]

The ingest buffer lives under data_dir/buffer. Readings InfluxDB refused
(a field whose type changed, a backlog older than the retention policy, a
line it cannot parse) are kept there in dead-letter.lp, each group under a
comment giving the time and InfluxDB's reason.

Commands:
  replay-dead-letters [--dry-run] [--file FILE] [--batch N]
         send the dead-lettered readings to InfluxDB again, once their cause
         is fixed; the ones InfluxDB still refuses stay in the file with the
         new reason. Safe while 'oxywatch serve' runs, and to interrupt.
         Run 'oxywatch buffer replay-dead-letters --help' for more.`),
	"cli.buffer.needs_command":   s("buffer needs a command: replay-dead-letters"),
	"cli.buffer.unknown_command": s("unknown buffer command %q: run 'oxywatch buffer help'"),
	"cli.buffer.flag.file":       s("dead-letter file to replay (another copy, e.g. one you edited)"),
	"cli.buffer.flag.dry_run":    s("only count the lines, by reason; send nothing"),
	"cli.buffer.flag.batch":      s("lines per write request (influx.batch_size)"),
	"cli.buffer.flag.config":     s("YAML configuration file, also accepted here"),
	"cli.buffer.replay_usage": s(`Usage: oxywatch buffer [--config FILE] replay-dead-letters [--dry-run] [--file FILE] [--batch N]

Sends the readings in the dead-letter file to InfluxDB again
(influx.url %[1]s, bucket %[2]s). Fix the cause first: the reason is in
the comment above each group of lines:
  beyond_retention     older than the retention policy keeps: lengthen it
  field_type_conflict  the field has another type in InfluxDB
  series_limit         max-series-per-database or max-values-per-tag reached
  parse_error          the line itself is broken: correct it in the file,
                       or delete it

Readings InfluxDB takes leave the file; the ones it still refuses stay, with
the new reason, and the command exits 1 saying how many. Lines that appear
twice are sent once. The file is rewritten atomically as the replay goes, so
Ctrl-C or a crash loses nothing: run it again to continue. 'oxywatch serve'
may run meanwhile; what it dead-letters during the replay is kept.

Flags:`),
	"cli.buffer.no_args":        s("replay-dead-letters takes no arguments, got %q: give the file with --file"),
	"cli.buffer.progress":       s("… sent %[1]d of %[2]d lines, %[3]d still refused"),
	"cli.buffer.running":        s("another replay of %s is running: wait for it to end"),
	"cli.buffer.empty":          s("%s holds no dead letters: nothing to replay"),
	"cli.buffer.file_lines":     pl(2, "%[1]s: %[2]d line", "%[1]s: %[2]d lines"),
	"cli.buffer.duplicates":     s(" (and %d duplicates, sent once)"),
	"cli.buffer.dry_run":        s("dry run: nothing sent"),
	"cli.buffer.sent":           pl(1, "sent %d line to InfluxDB", "sent %d lines to InfluxDB"),
	"cli.buffer.still_refused":  pl(1, "still refused %[1]d line, kept in %[2]s:", "still refused %[1]d lines, kept in %[2]s:"),
	"cli.buffer.refused_reason": s("  %[1]s %[2]d  e.g. %[3]s"),
	"cli.buffer.reason_unnamed": s("(reason not named)"),
	"cli.buffer.interrupted":    pl(2, "interrupted (%[1]v): the %[2]d line not sent yet stays in %[3]s; run the command again to continue", "interrupted (%[1]v): the %[2]d lines not sent yet stay in %[3]s; run the command again to continue"),
	"cli.buffer.failed_left":    pl(2, "%[1]v\nthe %[2]d line not sent yet stays in %[3]s: check that InfluxDB at %[4]s answers, then run the command again", "%[1]v\nthe %[2]d lines not sent yet stay in %[3]s: check that InfluxDB at %[4]s answers, then run the command again"),
	"cli.buffer.failed":         s("%[1]v\nno line was lost, but %[2]s may still hold lines InfluxDB has taken: run the command again"),
	"cli.buffer.refused_final":  pl(1, "%[1]d line still refused, kept in %[2]s: fix the cause (reasons above), or correct or delete the line in the file, then run the command again", "%[1]d lines still refused, kept in %[2]s: fix the cause (reasons above), or correct or delete the lines in the file, then run the command again"),

	// report (cmd/oxywatch/report.go and report/tool.go)
	"cli.report.usage_config": s(`Usage: oxywatch report [--config FILE] COMMAND [flags]

Reads the registry and status timeline under data_dir (the same --config and
OXYWATCH_* variables as serve; after make run, ./var/oxywatch is found by
itself) and production figures from InfluxDB. Uptime does not need InfluxDB.
Run 'oxywatch report help' for the commands.`),
	"cli.report.usage": s(`Usage: oxywatch report COMMAND [flags]

Commands:
  uptime    hours in each status, uptime, outages and repairs per group
  supply    capacity, oxygen produced, cylinders and demand per group
  monthly   the printable ministry report (HTML): summary, regions, facilities,
            supply, repairs, outages, maintenance due; --format csv for its
            figures by region and the national total
  repairs   work orders per group: MTTR, main causes, still open, failures
            without a work order
  dhis2     build the month's DHIS2 dataValueSets payload, and push it with --push

Periods: --from and --to are local dates (2026-11-01, midnight in
report.time_zone) or RFC 3339 times, the end excluded; --month 2026-11 is one
calendar month. Without them, the last complete month.

Examples:
  oxywatch report uptime --from 2026-11-01 --to 2026-12-01 --group region --format csv
  oxywatch report supply --month 2026-11 --group facility --format json
  oxywatch report monthly --month 2026-11 --out uptime-2026-11.html
  oxywatch report monthly --month 2026-11 --lang fr --out disponibilite-2026-11.html
  oxywatch report monthly --month 2026-11 --format csv --out national-2026-11.csv
  oxywatch report repairs --month 2026-11 --group region --format csv
  oxywatch report dhis2 --period 202611            # print the payload
  oxywatch report dhis2 --period 202611 --push     # send it and show the import summary

Run oxywatch report COMMAND --help for the flags of one command.
`),
	"cli.report.needs_command":   s("oxywatch report needs a command"),
	"cli.report.unknown_command": s("unknown report command %q (want uptime, supply, monthly, repairs or dhis2)"),
	"cli.report.reading_dir":     s("report: reading data dir %s"),
	"cli.report.no_data": s("no OxyWatch data in %[1]s (no %[2]s there or in %[3]s/): give the data dir `oxywatch serve` uses, " +
		"with --config FILE or OXYWATCH_DATA_DIR=DIR (make run keeps it in ./var/%[3]s)"),
	"cli.report.cmd_usage":           s("Usage: oxywatch report %[1]s [flags]\n\n%[2]s\n\nFlags:"),
	"cli.report.summary.uptime":      s("Hours in each status, uptime_pct, data_coverage_pct, outages and MTTR per group."),
	"cli.report.summary.supply":      s("Rated and available capacity, oxygen produced, cylinders filled, demand and coverage per group."),
	"cli.report.summary.repairs":     s("Work orders per group: mean time to repair, main causes, work orders still open, failures without a work order."),
	"cli.report.flag.monthly_format": s("html (the printable report) or csv (its figures by region and the national total)"),
	"cli.report.bad_monthly_format":  s("--format %q is not html or csv"),
	"cli.report.summary.monthly":     s("The printable monthly ministry report, one self-contained HTML file (A4)."),
	"cli.report.summary.dhis2":       s("Builds the month's dataValueSets payload for DHIS2 and, with --push, sends it.\nIndicators: %s"),
	"cli.report.flag.from":           s("start, a local date such as 2026-11-01 or an RFC 3339 time"),
	"cli.report.flag.to":             s("end (excluded), a local date or an RFC 3339 time"),
	"cli.report.flag.month":          s("one calendar month, e.g. 2026-11 (instead of --from and --to)"),
	"cli.report.flag.out":            s("write to this file instead of standard output"),
	"cli.report.flag.out_dhis2":      s("write the payload to this file instead of standard output"),
	"cli.report.flag.region":         s("only these regions, comma separated (default: all)"),
	"cli.report.flag.lang":           s("language of the HTML report and of human CSV headers: en, fr or pt (default: notify.language, else en); JSON and machine CSV keep machine names"),
	"cli.report.flag.group":          s("device, facility, region or country"),
	"cli.report.flag.format":         s("json, csv or html"),
	"cli.report.flag.csv_headers":    s("CSV column names: machine (stable names scripts read) or human (words and decimal separator of --lang)"),
	"cli.report.flag.title":          s("report title, e.g. the ministry's name (default: National Oxygen Programme – equipment report, in --lang)"),
	"cli.report.flag.period":         s("DHIS2 monthly period, e.g. 202611 (default: the last complete month)"),
	"cli.report.flag.mapping":        s("mapping file: indicators to data elements, facilities to org units (default: report.dhis2.mapping_file)"),
	"cli.report.flag.push":           s("send the payload to report.dhis2.url and show the import summary"),
	"cli.report.bad_flag":            s("%[1]s: %[2]v (see --help)"),
	"cli.report.unexpected_arg":      s("%[1]s: unexpected argument %[2]q (see --help)"),
	"cli.report.create_failed":       s("create %[1]s: %[2]v"),
	"cli.report.write_failed":        s("write %[1]s: %[2]v"),
	"cli.report.wrote":               s("report: wrote %s"),
	"cli.report.influx_at":           s("InfluxDB at %s"),
	"cli.report.the_data_dir":        s("the data dir"),
	"cli.report.list_devices":        s("list devices: %v"),
	"cli.report.list_maintenance":    s("list maintenance due: %v"),
	"cli.report.empty_registry": s("no devices in the registry at %s: this is not the data dir `oxywatch serve` uses, or no device has reported yet. " +
		"Give the server's data dir with --config FILE or OXYWATCH_DATA_DIR=DIR (make run keeps it in ./var/oxywatch), " +
		"or register devices (POST /api/v1/devices/import)"),
	"cli.report.provisional":        s("report: warning: %[1]s has not ended (it runs to %[2]s); the figures cover it up to %[3]s and will change"),
	"cli.report.no_production_warn": s("report: warning: %v; the report shows uptime without the supply section"),
	"cli.report.no_production_err":  s("%v (uptime, and the monthly report without its supply section, work without it)"),
	"cli.report.production_from":    s("%[1]s: %[2]v"),
	"cli.report.progress":           s("report: %[1]d/%[2]d devices"),
	"cli.report.bad_period":         s("%v (give --from and --to as dates such as 2026-11-01, or --month 2026-11)"),
	"cli.report.month_and_range":    s("give --month or --from and --to, not both"),
	"cli.report.bad_month":          s("--month %q is not a month such as 2026-11"),
	"cli.report.bad_group":          s("--group %q is not device, facility, region or country"),
	"cli.report.bad_format":         s("--format %q is not one of json, csv, html"),
	"cli.report.bad_csv_headers":    s("--csv-headers %q is not machine or human"),
	"cli.report.bad_lang":           s("--lang %q is not one of en, fr, pt"),
	"cli.report.dhis2_bad_period":   s("--period %q is not a month such as 202611"),
	"cli.report.dhis2_unfinished":   s("%s has not ended; DHIS2 takes complete months"),
	"cli.report.dhis2_no_url":       s("--push needs report.dhis2.url (OXYWATCH_REPORT_DHIS2_URL)"),
	"cli.report.dhis2_summary":      s("DHIS2 import of %[1]s: %[2]s"),
	"cli.report.dhis2_skipped":      s("report: dhis2: skipped %[1]s of facility %[2]q: %[3]s"),

	// Why a report has no production figures (report/supply.go); the
	// monthly report's banner shows it in the page's language.
	"report.production.none":       s("production figures unavailable: no production source is configured (influx.url)"),
	"report.production.unreadable": s("production figures unavailable: the time-series store (InfluxDB) could not be read (%v)"),
}
