package i18n

// cliFlagEN are the command line's words that Go's flag package and
// internal/config would otherwise write in English: flag errors (rewritten
// from flag's stable texts by cmd/oxywatch), the placeholders of serve
// --help's defaults, and the environment's complaints (keyed by their
// English format, as in cli_config.go).
var cliFlagEN = map[Key]entry{
	"cli.flagerr.undefined":     s("flag provided but not defined: -%s"),
	"cli.flagerr.needs_arg":     s("flag needs an argument: -%s"),
	"cli.flagerr.syntax":        s("bad flag syntax: %s"),
	"cli.flagerr.bad_value":     s("invalid value %[1]q for flag -%[2]s: %[3]s"),
	"cli.flagerr.bad_bool":      s("invalid boolean value %[1]q for -%[2]s: %[3]s"),
	"cli.flagerr.bad_bool_flag": s("invalid boolean flag %[1]s: %[2]s"),
	"cli.flagerr.parse":         s("not a value of this flag's type"),
	"cli.flagerr.range":         s("value out of range"),
	"cli.flagkind.string":       s("string"),
	"cli.flagkind.int":          s("int"),
	"cli.flagkind.float":        s("number"),
	"cli.flagkind.duration":     s("duration"),
	"cli.flagkind.value":        s("value"),
	"cli.config_empty":          s("(empty)"),
	"cli.config_set":            s("(set)"),

	"cannot be opened: %v": s("cannot be opened: %v"),
	"environment variable that matches no configuration key ('oxywatch serve --help' lists them)": s("environment variable that matches no configuration key ('oxywatch serve --help' lists them)"),
	"%q is not a duration such as 90s or 5m":                                                      s("%q is not a duration such as 90s or 5m"),
	"%q is not true or false":                                                                     s("%q is not true or false"),
	"%q is not an integer":                                                                        s("%q is not an integer"),
	"%q is not a number":                                                                          s("%q is not a number"),
	"cannot be set from the environment":                                                          s("cannot be set from the environment"),
}
