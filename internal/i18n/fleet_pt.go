package i18n

// fleetPT is fleetEN in Portuguese.
var fleetPT = map[Key]entry{
	"web.fleet.reported_on":   s("relatado em {date}, não medido"),
	"web.fleet.reported_none": s("Nenhum estado registado no local"),
	"web.fleet.reported_old":  s("talvez desatualizado"),
	"web.fleet.wo_open":       s("Ordem de trabalho aberta"),
	"web.fleet.wo_open_n":     s("{n} ordens de trabalho abertas"),
	"web.fleet.wo_title":      s("Ordem de trabalho {id}: {fault}, aberta desde {time}"),
}
