// Package report computes uptime and supply figures from device status
// timelines and production data, renders them as JSON, CSV and a printable
// HTML ministry report, and exports monthly figures to DHIS2 (report/dhis2).
//
// Definitions (CONTRACT §6), for a period [from, to):
//
//   - A device counts only for the part of the period it existed: from the
//     later of from and the earlier of Device.InService (commissioning date,
//     else registration) and its first reading with data, to the earliest of
//     to, its decommissioning, its retirement (when the registry reports one)
//     and now. Readings from before registration (a backlog) count. A retired
//     device without any reading in the period is left out (a test entry).
//     A period that reaches into the future ends now.
//   - Status intervals are cut exactly at these bounds. An open interval
//     (zero End) lasts until the bound. Time no interval covers is no_data;
//     an unknown status counts as no_data. Where intervals overlap, the
//     earlier one wins, so every instant is counted once.
//   - uptime_pct = operational / (existence - maintenance - no_data): time
//     without telemetry is held neither for nor against the equipment;
//     data_coverage_pct = (existence - no_data) / existence says how much of
//     the period it rests on; uptime_min_pct = operational / (existence -
//     maintenance) is its floor. Each is null when its denominator is zero. Group figures are computed from summed hours, never by
//     averaging percentages.
//   - An outage is a maximal run of down time: down intervals that touch, or
//     that are separated only by no_data (a silent gap does not show a
//     repair), are one outage. Operational, degraded or maintenance time ends
//     it. Its length is the down time inside the period (the no_data gap
//     stays in no_data). Outages are counted in the period where their down
//     time falls; one that spans two months counts in both, with the hours of
//     each.
//   - Time to repair runs from the start of the first down interval after the
//     device was last operational to the start of the next operational
//     interval; several outages with degraded time between them are one
//     repair. A repair counts in the period in which the device became
//     operational again; the failure may have started earlier. MTTR is the
//     mean over repairs; failures not yet repaired are not in it.
//   - Top causes rank the Cause strings of down intervals by down hours.
//
// Supply: capacity and production count oxygen sources (Kind.Produces:
// not lox_tank or cylinder_bank, whose outflow is from_storage_m3). Rated
// capacity sums rated_flow_lpm; available capacity sums each source's rated
// flow times the share of the period it was operational, from the period's
// timeline (no_data counts as not available). Oxygen produced integrates
// flow_lpm while the device is running (see ProductionQuery). Demand is a
// facility's demand_lpm; else its oxygen-using beds by category (general ×
// report.litres_per_bed_lpm, severe × 10, critical × 30 L/min, WHO); else
// its beds times report.litres_per_bed_lpm (default 2.5 L/min, the middle of
// the 2-3 L/min a general ward bed needs per DOMAIN.md); each facility row
// says which. Volumes are also given in large cylinders (6,800 L) a day.
// Storage stock and days of autonomy come from recorded counts (see
// Storage); the functional census from telemetry or, failing it, recorded
// statuses (see Functionality). Coverage compares available
// capacity with demand, and oxygen produced with demand over the period. A
// psa or concentrator is idle on a local day it existed in full and produced
// nothing.
//
// # Use from the HTTP layer
//
// Build one Reporter with New(registry, timelines, production,
// OptionsFrom(cfg.Report)). For GET /api/v1/reports/uptime and
// GET /api/v1/supply:
//
//	q, err := reporter.ParseQuery(from, to, group, regions) // errors wrap ErrBadQuery: answer 400
//	rep, err := reporter.Uptime(ctx, q)                     // or reporter.Supply(ctx, q)
//	err = rep.WriteJSON(w)                                  // or rep.WriteCSV(w), rep.WriteHTML(w)
//
// regions is nil for an unlimited token, and the token's regions (or the
// part of them asked for) otherwise: the report then covers only devices and
// facilities of those regions, in its rows, total, outages and demand, and
// every row grouped by device, facility or region carries its region. A
// non-nil empty list gives an empty report. Reports are computed from the
// registry and timelines at the time of the request, so a late backlog that
// the timeline has taken in shows in the next report.
package report
