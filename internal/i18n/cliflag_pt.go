package i18n

// cliFlagPT: see cliFlagEN.
var cliFlagPT = map[Key]entry{
	"cli.flagerr.undefined":     s("opção indicada mas não definida: -%s"),
	"cli.flagerr.needs_arg":     s("a opção precisa de um argumento: -%s"),
	"cli.flagerr.syntax":        s("sintaxe de opção incorreta: %s"),
	"cli.flagerr.bad_value":     s("valor %[1]q inválido para a opção -%[2]s: %[3]s"),
	"cli.flagerr.bad_bool":      s("valor booleano %[1]q inválido para -%[2]s: %[3]s"),
	"cli.flagerr.bad_bool_flag": s("opção booleana inválida %[1]s: %[2]s"),
	"cli.flagerr.parse":         s("não é um valor do tipo desta opção"),
	"cli.flagerr.range":         s("valor fora dos limites"),
	"cli.flagkind.string":       s("texto"),
	"cli.flagkind.int":          s("inteiro"),
	"cli.flagkind.float":        s("número"),
	"cli.flagkind.duration":     s("duração"),
	"cli.flagkind.value":        s("valor"),
	"cli.config_empty":          s("(vazio)"),
	"cli.config_set":            s("(definido)"),

	"cannot be opened: %v": s("não pode ser aberto: %v"),
	"environment variable that matches no configuration key ('oxywatch serve --help' lists them)": s("variável de ambiente que não corresponde a nenhuma chave de configuração ('oxywatch serve --help' lista-as)"),
	"%q is not a duration such as 90s or 5m":                                                      s("%q não é uma duração como 90s ou 5m"),
	"%q is not true or false":                                                                     s("%q não é true nem false"),
	"%q is not an integer":                                                                        s("%q não é um número inteiro"),
	"%q is not a number":                                                                          s("%q não é um número"),
	"cannot be set from the environment":                                                          s("não pode ser definido pelo ambiente"),
}
