package i18n

// fleetFR is fleetEN in French.
var fleetFR = map[Key]entry{
	"web.fleet.reported_on":   s("signalé le {date}, non mesuré"),
	"web.fleet.reported_none": s("Aucun état relevé sur place"),
	"web.fleet.reported_old":  s("peut-être dépassé"),
	"web.fleet.wo_open":       s("Ordre de travail ouvert"),
	"web.fleet.wo_open_n":     s("{n} ordres de travail ouverts"),
	"web.fleet.wo_title":      s("Ordre de travail {id}\u00a0: {fault}, ouvert depuis {time}"),
}
