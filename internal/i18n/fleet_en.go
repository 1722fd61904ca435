package i18n

// fleetEN is the fleet board's text for what its device cards add from
// hand records and repairs (issue 17), in English; keys "web." like webEN
// (see Web), kept apart so it merges on its own.
var fleetEN = map[Key]entry{
	"web.fleet.reported_on":   s("reported {date}, not measured"),
	"web.fleet.reported_none": s("No status recorded on site yet"),
	"web.fleet.reported_old":  s("may be out of date"),
	"web.fleet.wo_open":       s("Work order open"),
	"web.fleet.wo_open_n":     s("{n} work orders open"),
	"web.fleet.wo_title":      s("Work order {id}: {fault}, open since {time}"),
}
