// Package alerting evaluates every accepted reading against the alert rules
// as it arrives, keeps every alert's state, and records each device's status
// timeline (CONTRACT §6).
//
// # Rules
//
// The defaults are those of DOMAIN.md ("Default alert rules", "Maintenance
// intervals") with what scoring against the simulator's ground truth added
// (firmware-sim/score, make score); a rules file (LoadRules, strict YAML,
// see testdata/rules.yaml) changes them for everything, per kind, per model
// or per device. Value rules (critical_purity, low_purity, low/high_pressure,
// no_flow, overload) fire once their condition has held for `for` (by the
// engine's clock or between the readings' own timestamps) or for
// for_readings bad readings in a row (default `for` / report interval + 1),
// and clear only at or past their clear level (hysteresis); they apply only
// while the device runs. The purity rules hold through a warm-up after the
// device starts running (power back, standby ended, a restart seen as seq
// going back; warm_up 30 min for a PSA plant, 10 min for a concentrator,
// ended early once purity reaches spec) and fire at its end if purity is
// still below. device_fault follows state fault and the alarm codes: a code
// another rule covers (low_purity) is folded into it, dryer_fault and
// high_temp are warnings, others critical; the rules file maps a vendor's
// codes, for all devices (`alarms:`) or per kind, model or device
// (`overrides: [{model: OX-500, alarms: {E12: {rule: critical_purity},
// E07: {severity: warning}, DOOR: {ignore: true}}}]`).
//
// Threshold sets (thresholds.go) judge a device by what its oxygen is for
// and where its values are measured: the registry's `use` (pipeline,
// cylinder_filling, bedside; by default bedside for a concentrator,
// pipeline otherwise) and `measurement_point` (outlet by default,
// buffer_tank, pipeline, filling_manifold). Built in: a PSA plant filling
// cylinders warns below 93 % and is critical below 90 %; a PSA buffer tank
// warns below 5.5 and above 8.5 bar; a filling manifold only above 210 bar.
// The rules file adds or changes sets
// (`thresholds: {psa: {use: {cylinder_filling: {purity_critical: 90,
// purity_warning: 93}}, point: {buffer_tank: {pressure_low: 5.5,
// pressure_high: 8.5}}}}`). Precedence, the later winning: kind defaults,
// the file's rules, kind overrides, model overrides, the point's set, the
// use's set, the device's override. Alerts, the status timeline (statusOf)
// and GET /devices/{id}/limits read the one compiled set.
//
// power_loss fires after 2 min on
// battery or none, so a generator that takes over does not page. offline
// fires at a deadline of `intervals` report intervals (3 by default) after
// the last live reading, or two intervals after an "offline" status message
// unless the device comes back; deadlines and `for` timers live in
// per-shard heaps, so an idle device costs nothing. sensor_stuck warns when
// purity repeats exactly for 10 running readings. clock_skew warns when the
// device clock is more than 120 s off (see Device clocks). maintenance_due
// runs one clock per component from runtime_h since its last service
// record and, where the component has a calendar interval, from the date of
// that record (whichever comes first; PSA filter elements every 6 months,
// a concentrator's preventive service yearly; a calendar clock runs for
// devices that send no runtime_h too); a device with no record for any
// component has one "service history missing" item instead. In the rules
// file an interval is hours (`inlet_filter: 4000`) or a mapping
// (`filter_elements: {hours: 4380, months: 6}`, `battery: {days: 90}`).
// Service history comes in one record at a time or as a CSV
// (POST /api/v1/maintenance/import). purity_declining fits a line through the
// daily mean purity of the last 7 complete days (UTC) at steady flow.
// facility_outage fires when every device of a facility (at least
// min_devices) is offline, on battery or on power none: at once when they
// all went quiet, after `for` (30 s) when power is the cause, muting the
// device alerts that fire meanwhile.
//
// # Device clocks
//
// A live reading is never dropped because the device's clock is wrong.
// The engine learns each device's clock offset from paced readings (one
// that arrives about a report interval after the previous, its timestamp
// advanced alike) and judges a reading fresh when it is paced or no older
// than that offset says by more than the offline deadline; a backlog,
// delivered in a burst, stands out. A device whose timestamps advance
// steadily faster than its readings arrive (firmware-sim --speed 60) gets
// its offline deadline and `for` timers in its own time. See clock.go.
//
// # Lifecycle
//
// One alert per (rule, device), per (rule, device, component) for
// maintenance: pending (kept, never listed or announced) → firing →
// acknowledged → resolved. A device that goes quiet keeps its alerts firing
// (offline joins them); only a reading that shows recovery resolves them.
// A reading older than the device's newest, or one ingest calls late, or a
// backlog reading older than the offline deadline, fires and resolves
// nothing; it fills the timeline. An alert that cleared more than
// flapping.flips times within flapping.window stays firing until its
// condition has stayed clear for flapping.stable.
//
// Muting: a matching active silence, critical_purity (mutes low_purity),
// offline (mutes the value rules) and a facility_outage (mutes the devices of
// its facility) keep an alert from being announced; it is still stored and
// listed, and announced when the mute ends while it is still open. Its
// resolution is announced only if its firing was.
//
// # Persistence
//
// Alerts, pending timers, silences, acknowledgements, service records and
// timeline rows are written to SQLite in transactions as they change (a
// writer goroutine batches them; Sync waits for it), and every transition is
// handed to the Notifier inside the transaction that stores it. Per-device
// state (newest values, trend, covered end of the timeline) is saved every
// Options.Checkpoint and at shutdown. After a restart, SIGKILL included,
// open alerts keep their ids, ack codes and states, pending timers resume
// from their original start, and nothing is announced because of the
// restart. Every device gets a fresh offline deadline counted from the
// restart, except those already offline.
//
// # Status timeline
//
// Statuses come from readings: maintenance (state maintenance), down (state
// fault or off, or power none), degraded (purity below the low_purity level
// while not in standby), otherwise operational. A reading covers the time up
// to the offline deadline after it, or up to the next reading; time no
// reading covers is no_data. The timeline does not depend on the order
// readings arrive in (shared subscriptions and the ingester's workers
// interleave a device's readings, backlogs come after newer ones): a late
// reading fills the no_data it covers, cuts the coverage a row inferred
// past its last reading, and splits a row of another status between its
// readings, holding one report interval there (place.go; exact when the
// device reports at its interval). A reading in a warm-up is judged by the
// warm-up at its own time (from the run's first reading for warm_up of the
// device's time, or up to its first reading at spec), in order or late;
// the engine learns the warm-up from its start arriving live (a start that
// arrives only late, after newer readings, is not seen). Maintenance
// silences turn what they cover into maintenance when timelines are read.
package alerting
