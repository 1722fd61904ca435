package i18n

// cliFlagFR: see cliFlagEN.
var cliFlagFR = map[Key]entry{
	"cli.flagerr.undefined":     s("option fournie mais non définie\u00a0: -%s"),
	"cli.flagerr.needs_arg":     s("l’option attend un argument\u00a0: -%s"),
	"cli.flagerr.syntax":        s("syntaxe d’option incorrecte\u00a0: %s"),
	"cli.flagerr.bad_value":     s("valeur %[1]q invalide pour l’option -%[2]s\u00a0: %[3]s"),
	"cli.flagerr.bad_bool":      s("valeur booléenne %[1]q invalide pour -%[2]s\u00a0: %[3]s"),
	"cli.flagerr.bad_bool_flag": s("option booléenne invalide %[1]s\u00a0: %[2]s"),
	"cli.flagerr.parse":         s("ce n’est pas une valeur du type de cette option"),
	"cli.flagerr.range":         s("valeur hors limites"),
	"cli.flagkind.string":       s("texte"),
	"cli.flagkind.int":          s("entier"),
	"cli.flagkind.float":        s("nombre"),
	"cli.flagkind.duration":     s("durée"),
	"cli.flagkind.value":        s("valeur"),
	"cli.config_empty":          s("(vide)"),
	"cli.config_set":            s("(défini)"),

	"cannot be opened: %v": s("ne peut pas être ouvert\u00a0: %v"),
	"environment variable that matches no configuration key ('oxywatch serve --help' lists them)": s("variable d’environnement qui ne correspond à aucune clé de configuration ('oxywatch serve --help' les liste)"),
	"%q is not a duration such as 90s or 5m":                                                      s("%q n’est pas une durée comme 90s ou 5m"),
	"%q is not true or false":                                                                     s("%q n’est ni true ni false"),
	"%q is not an integer":                                                                        s("%q n’est pas un nombre entier"),
	"%q is not a number":                                                                          s("%q n’est pas un nombre"),
	"cannot be set from the environment":                                                          s("ne peut pas être défini par l’environnement"),
}
