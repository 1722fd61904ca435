package i18n

// cliPT: the command line in Portuguese (see cliEN).
var cliPT = map[Key]entry{
	"cli.usage": s(`oxywatch — monitorização de centrais de oxigénio medicinal e concentradores

Utilização:
  oxywatch serve [--config FICHEIRO]        executa a ingestão, os alertas, a API e o painel
  oxywatch check-config FICHEIRO            valida um ficheiro de configuração (e as regras,
                                            rotas e correspondências que nomeia) e sai
  oxywatch token [--config FICHEIRO] COMANDO
                                            cria, lista ou revoga tokens da API
  oxywatch device-token [--config FICHEIRO] COMANDO
                                            cria, lista ou revoga tokens de equipamento
                                            (ingestão HTTP: POST /api/v1/ingest/EQUIPAMENTO)
  oxywatch report [--config FICHEIRO] COMANDO
                                            relatórios de disponibilidade, fornecimento,
                                            mensal e DHIS2
  oxywatch buffer [--config FICHEIRO] COMANDO
                                            o buffer de ingestão: replay-dead-letters reenvia
                                            as leituras recusadas pelo InfluxDB
  oxywatch version                          mostra a versão

Cada chave de configuração pode também ser dada por uma variável de
ambiente; 'oxywatch serve --help' dá a lista com os valores por omissão.
Mensagens em inglês, francês ou português: OXYWATCH_LANG=pt, senão LC_ALL,
LC_MESSAGES ou LANG, senão notify.language.
`),
	"cli.no_command":       s("nenhum comando dado"),
	"cli.unknown_command":  s("comando desconhecido %q"),
	"cli.warning":          s("aviso: %s"),
	"cli.config_invalid":   s("a configuração não é válida:\n%v"),
	"cli.config_keys":      s("Chaves de configuração (chave YAML, variável de ambiente, valor por omissão, significado):"),
	"cli.flag_default":     s("(por omissão: %s)"),
	"cli.flags":            s("Opções:"),
	"cli.flag.config":      s("ficheiro de configuração YAML (variável OXYWATCH_CONFIG)"),
	"cli.flag.config_data": s("ficheiro de configuração YAML (variável OXYWATCH_CONFIG); o seu data_dir contém a base de dados"),
	"cli.data_dir_failed":  s("diretório de dados %[1]s: %[2]v"),

	"cli.check.usage":          s("Utilização: oxywatch check-config FICHEIRO\n\nValida FICHEIRO e o ambiente OXYWATCH_*; sai com o código 1 nomeando cada chave errada."),
	"cli.check.one_file":       s("check-config precisa de exatamente um FICHEIRO"),
	"cli.check.rules_valid":    s("as regras de alerta são válidas"),
	"cli.check.mappings_valid": pl(1, "as correspondências de ingestão são válidas (%d modelo)", "as correspondências de ingestão são válidas (%d modelos)"),
	"cli.check.dhis2_valid":    s("a correspondência DHIS2 é válida"),
	"cli.check.sms_valid":      s("os padrões de SMS são válidos"),
	"cli.check.file_valid":     s("%[1]s: %[2]s"),
	"cli.check.file_bad":       s("%[1]s %[2]s: %[3]s"),
	"cli.check.key_bad":        s("%[1]s %[2]s"),
	"cli.check.files_invalid":  s("a configuração não é válida:\n  %s"),
	"cli.check.valid":          s("%s: a configuração é válida"),

	"cli.serve.usage": s(`Utilização: oxywatch serve [--config FICHEIRO]

Executa a ingestão MQTT (com um broker integrado, salvo se mqtt.url for dado),
a escrita no InfluxDB, os alertas, a API, o painel e /metrics.

Opções:`),
	"cli.serve.admin_token":    s("Token de administrador do OxyWatch (mostrado uma só vez; guarde-o em lugar seguro, ou crie outros com `oxywatch token create`): %s"),
	"cli.serve.start_failed":   s("não foi possível arrancar: %v"),
	"cli.serve.restart_failed": s("novo arranque: %v"),

	"cli.token.help": s(`Utilização: oxywatch token [--config FICHEIRO] COMANDO

Comandos:
  create --role viewer|engineer|admin [--regions norte,leste] [--name NOME]
         mostra o novo token uma só vez na saída padrão
  list   os tokens com o papel, as regiões e a última utilização (nunca os segredos)
  revoke ID

Os tokens estão na base SQLite em data_dir; um servidor em execução vê as
alterações de imediato.`),
	"cli.token.usage": s(`utilização:
  oxywatch token create --role viewer|engineer|admin [--regions norte,leste] [--name NOME]
  oxywatch token list
  oxywatch token revoke ID`),
	"cli.token.missing_sub":    s("token: falta o subcomando"),
	"cli.token.unknown_sub":    s("token: subcomando desconhecido %q"),
	"cli.token.revoke_one":     s("token revoke: indique um identificador de token"),
	"cli.token.revoked":        s("%s revogado"),
	"cli.token.flag.role":      s("viewer, engineer ou admin"),
	"cli.token.flag.regions":   s("regiões a que o token se limita, separadas por vírgulas (vazio: todas)"),
	"cli.token.flag.name":      s("para quem ou para quê é o token"),
	"cli.token.unexpected_arg": s("token create: argumento inesperado %q"),
	"cli.token.create_failed":  s("token create: %v"),
	"cli.token.created":        s("token %[1]s criado (papel %[2]s, regiões %[3]s); é mostrado uma só vez:"),
	"cli.token.list_header":    s("ID\tNOME\tPAPEL\tREGIÕES\tCRIADO\tREVOGADO"),
	"cli.token.all_regions":    s("todas"),

	"cli.devtoken.help": s(`Utilização: oxywatch device-token [--config FICHEIRO] COMANDO

Os tokens de equipamento permitem a equipamentos sem MQTT enviar leituras
por HTTP (POST /api/v1/ingest/EQUIPAMENTO, Authorization: Bearer TOKEN). Um
token envia leituras dos seus próprios equipamentos e nada mais.

Comandos:
  create [--name NOME] EQUIPAMENTO [EQUIPAMENTO...]
         mostra o novo token uma só vez; os equipamentos têm de estar
         registados; vários equipamentos fazem o token de um gateway
         (POST /api/v1/ingest)
  list [EQUIPAMENTO]
         os tokens com os seus equipamentos (nunca os segredos)
  revoke ID

Os tokens estão na base SQLite em data_dir; um servidor em execução vê as
alterações em poucos segundos.`),
	"cli.devtoken.usage": s(`utilização:
  oxywatch device-token create [--name NOME] EQUIPAMENTO [EQUIPAMENTO...]
         mostra o novo token uma só vez; vários equipamentos fazem o token de um gateway
  oxywatch device-token list [EQUIPAMENTO]
  oxywatch device-token revoke ID`),
	"cli.devtoken.missing_sub":   s("device-token: falta o subcomando"),
	"cli.devtoken.unknown_sub":   s("device-token: subcomando desconhecido %q"),
	"cli.devtoken.list_one":      s("device-token list: indique no máximo um equipamento"),
	"cli.devtoken.revoke_one":    s("device-token revoke: indique um identificador de token (ver: oxywatch device-token list)"),
	"cli.devtoken.flag.name":     s("para que serve o token (p. ex. o gateway)"),
	"cli.devtoken.create_failed": s("device-token create: %v"),
	"cli.devtoken.created":       s("token de equipamento %[1]s criado para %[2]s; é mostrado uma só vez:"),
	"cli.devtoken.list_header":   s("ID\tNOME\tEQUIPAMENTOS\tCRIADO\tREVOGADO"),

	"cli.buffer.help": s(`Utilização: oxywatch buffer [--config FICHEIRO] COMANDO [opções]

O buffer de ingestão está em data_dir/buffer. As leituras recusadas pelo
InfluxDB (um campo cujo tipo mudou, um atraso mais antigo do que a política
de retenção, uma linha ilegível) ficam em dead-letter.lp, cada grupo sob um
comentário com a hora e o motivo dado pelo InfluxDB.

Comandos:
  replay-dead-letters [--dry-run] [--file FICHEIRO] [--batch N]
         reenvia as leituras recusadas ao InfluxDB, depois de corrigida a
         causa; as que o InfluxDB ainda recusa ficam no ficheiro com o novo
         motivo. Seguro com 'oxywatch serve' em execução, e interrompível.
         'oxywatch buffer replay-dead-letters --help' diz mais.`),
	"cli.buffer.needs_command":   s("buffer precisa de um comando: replay-dead-letters"),
	"cli.buffer.unknown_command": s("comando buffer desconhecido %q: execute 'oxywatch buffer help'"),
	"cli.buffer.flag.file":       s("ficheiro de cartas mortas a reenviar (outra cópia, p. ex. uma que corrigiu)"),
	"cli.buffer.flag.dry_run":    s("apenas conta as linhas, por motivo; não envia nada"),
	"cli.buffer.flag.batch":      s("linhas por pedido de escrita (influx.batch_size)"),
	"cli.buffer.flag.config":     s("ficheiro de configuração YAML, também aceite aqui"),
	"cli.buffer.replay_usage": s(`Utilização: oxywatch buffer [--config FICHEIRO] replay-dead-letters [--dry-run] [--file FICHEIRO] [--batch N]

Reenvia ao InfluxDB as leituras do ficheiro de cartas mortas
(influx.url %[1]s, bucket %[2]s). Corrija primeiro a causa: o motivo está no
comentário acima de cada grupo de linhas:
  beyond_retention     mais antigo do que a política de retenção guarda: aumente-a
  field_type_conflict  o campo tem outro tipo no InfluxDB
  series_limit         max-series-per-database ou max-values-per-tag atingido
  parse_error          a própria linha está partida: corrija-a no ficheiro,
                       ou apague-a

As leituras aceites pelo InfluxDB saem do ficheiro; as que ainda recusa
ficam, com o novo motivo, e o comando sai com o código 1 dizendo quantas.
Linhas repetidas são enviadas uma vez. O ficheiro é reescrito de forma
atómica durante o envio: Ctrl-C ou uma falha não perde nada, execute de novo
para continuar. 'oxywatch serve' pode estar em execução; o que ele envia
para cartas mortas entretanto é guardado.

Opções:`),
	"cli.buffer.no_args":        s("replay-dead-letters não aceita argumentos, recebeu %q: indique o ficheiro com --file"),
	"cli.buffer.progress":       s("… enviadas %[1]d de %[2]d linhas, %[3]d ainda recusadas"),
	"cli.buffer.running":        s("outro reenvio de %s está em curso: espere que termine"),
	"cli.buffer.empty":          s("%s não tem cartas mortas: nada a reenviar"),
	"cli.buffer.file_lines":     pl(2, "%[1]s: %[2]d linha", "%[1]s: %[2]d linhas"),
	"cli.buffer.duplicates":     s(" (e %d duplicados, enviados uma vez)"),
	"cli.buffer.dry_run":        s("ensaio: nada foi enviado"),
	"cli.buffer.sent":           pl(1, "%d linha enviada ao InfluxDB", "%d linhas enviadas ao InfluxDB"),
	"cli.buffer.still_refused":  pl(1, "%[1]d linha ainda recusada, guardada em %[2]s:", "%[1]d linhas ainda recusadas, guardadas em %[2]s:"),
	"cli.buffer.refused_reason": s("  %[1]s %[2]d  p. ex. %[3]s"),
	"cli.buffer.reason_unnamed": s("(motivo não indicado)"),
	"cli.buffer.interrupted":    pl(2, "interrompido (%[1]v): a %[2]d linha ainda não enviada fica em %[3]s; execute o comando de novo para continuar", "interrompido (%[1]v): as %[2]d linhas ainda não enviadas ficam em %[3]s; execute o comando de novo para continuar"),
	"cli.buffer.failed_left":    pl(2, "%[1]v\na %[2]d linha ainda não enviada fica em %[3]s: verifique se o InfluxDB em %[4]s responde e execute o comando de novo", "%[1]v\nas %[2]d linhas ainda não enviadas ficam em %[3]s: verifique se o InfluxDB em %[4]s responde e execute o comando de novo"),
	"cli.buffer.failed":         s("%[1]v\nnenhuma linha se perdeu, mas %[2]s pode ainda conter linhas já aceites pelo InfluxDB: execute o comando de novo"),
	"cli.buffer.refused_final":  pl(1, "%[1]d linha ainda recusada, guardada em %[2]s: corrija a causa (motivos acima), ou corrija ou apague a linha no ficheiro, e execute o comando de novo", "%[1]d linhas ainda recusadas, guardadas em %[2]s: corrija a causa (motivos acima), ou corrija ou apague as linhas no ficheiro, e execute o comando de novo"),

	"cli.report.usage_config": s(`Utilização: oxywatch report [--config FICHEIRO] COMANDO [opções]

Lê o registo e a cronologia de estados em data_dir (as mesmas --config e
variáveis OXYWATCH_* que serve; depois de make run, ./var/oxywatch é
encontrado sozinho) e os números de produção no InfluxDB. A disponibilidade
não precisa do InfluxDB.
'oxywatch report help' dá os comandos.`),
	"cli.report.usage": s(`Utilização: oxywatch report COMANDO [opções]

Comandos:
  uptime    horas em cada estado, disponibilidade, paragens e reparações por grupo
  supply    capacidade, oxigénio produzido, garrafas e procura por grupo
  monthly   o relatório imprimível para o ministério (HTML): resumo, regiões,
            unidades sanitárias, fornecimento, reparações, paragens, manutenção
            pendente; --format csv para os números por região e o total nacional
  repairs   ordens de trabalho por grupo: tempo médio de reparação, causas
            principais, ainda abertas, avarias sem ordem de trabalho
  dhis2     prepara os dados DHIS2 (dataValueSets) do mês, e envia-os com --push

Períodos: --from e --to são datas locais (2026-11-01, meia-noite em
report.time_zone) ou horas RFC 3339, o fim excluído; --month 2026-11 é um mês
civil. Sem elas, o último mês completo.

Exemplos:
  oxywatch report uptime --from 2026-11-01 --to 2026-12-01 --group region --format csv
  oxywatch report supply --month 2026-11 --group facility --format json
  oxywatch report monthly --month 2026-11 --out uptime-2026-11.html
  oxywatch report monthly --month 2026-11 --lang pt --out disponibilidade-2026-11.html
  oxywatch report monthly --month 2026-11 --format csv --out nacional-2026-11.csv
  oxywatch report repairs --month 2026-11 --group region --format csv
  oxywatch report dhis2 --period 202611            # mostra os dados
  oxywatch report dhis2 --period 202611 --push     # envia-os e mostra o resumo da importação

'oxywatch report COMANDO --help' dá as opções de um comando.
`),
	"cli.report.needs_command":   s("oxywatch report precisa de um comando"),
	"cli.report.unknown_command": s("comando de relatório desconhecido %q (uptime, supply, monthly, repairs ou dhis2)"),
	"cli.report.reading_dir":     s("report: a ler o diretório de dados %s"),
	"cli.report.no_data": s("não há dados do OxyWatch em %[1]s (nem %[2]s aí nem em %[3]s/): indique o diretório de dados que `oxywatch serve` usa, " +
		"com --config FICHEIRO ou OXYWATCH_DATA_DIR=DIR (make run guarda-o em ./var/%[3]s)"),
	"cli.report.cmd_usage":           s("Utilização: oxywatch report %[1]s [opções]\n\n%[2]s\n\nOpções:"),
	"cli.report.summary.uptime":      s("Horas em cada estado, uptime_pct, data_coverage_pct, paragens e tempo médio de reparação por grupo."),
	"cli.report.summary.supply":      s("Capacidade nominal e disponível, oxigénio produzido, garrafas enchidas, procura e cobertura por grupo."),
	"cli.report.summary.repairs":     s("Ordens de trabalho por grupo: tempo médio de reparação, causas principais, ordens ainda abertas, avarias sem ordem de trabalho."),
	"cli.report.flag.monthly_format": s("html (o relatório imprimível) ou csv (os números por região e o total nacional)"),
	"cli.report.bad_monthly_format":  s("--format %q não é html nem csv"),
	"cli.report.summary.monthly":     s("O relatório mensal imprimível para o ministério, um único ficheiro HTML autónomo (A4)."),
	"cli.report.summary.dhis2":       s("Prepara os dados dataValueSets do mês para o DHIS2 e, com --push, envia-os.\nIndicadores: %s"),
	"cli.report.flag.from":           s("início, uma data local como 2026-11-01 ou uma hora RFC 3339"),
	"cli.report.flag.to":             s("fim (excluído), uma data local ou uma hora RFC 3339"),
	"cli.report.flag.month":          s("um mês civil, p. ex. 2026-11 (em vez de --from e --to)"),
	"cli.report.flag.out":            s("escreve neste ficheiro em vez da saída padrão"),
	"cli.report.flag.out_dhis2":      s("escreve os dados neste ficheiro em vez da saída padrão"),
	"cli.report.flag.region":         s("apenas estas regiões, separadas por vírgulas (por omissão: todas)"),
	"cli.report.flag.lang":           s("língua do relatório HTML e dos cabeçalhos CSV legíveis: en, fr ou pt (por omissão: notify.language, senão en); o JSON e o CSV de máquina mantêm os nomes de máquina"),
	"cli.report.flag.group":          s("device, facility, region ou country"),
	"cli.report.flag.format":         s("json, csv ou html"),
	"cli.report.flag.csv_headers":    s("nomes das colunas CSV: machine (nomes estáveis que os scripts leem) ou human (palavras e separador decimal de --lang)"),
	"cli.report.flag.title":          s("título do relatório, p. ex. o nome do ministério (por omissão: Programa Nacional de Oxigénio – relatório de equipamentos, na língua de --lang)"),
	"cli.report.flag.period":         s("período mensal DHIS2, p. ex. 202611 (por omissão: o último mês completo)"),
	"cli.report.flag.mapping":        s("ficheiro de correspondência: indicadores para elementos de dados, unidades sanitárias para unidades organizacionais (por omissão: report.dhis2.mapping_file)"),
	"cli.report.flag.push":           s("envia os dados para report.dhis2.url e mostra o resumo da importação"),
	"cli.report.bad_flag":            s("%[1]s: %[2]v (ver --help)"),
	"cli.report.unexpected_arg":      s("%[1]s: argumento inesperado %[2]q (ver --help)"),
	"cli.report.create_failed":       s("criar %[1]s: %[2]v"),
	"cli.report.write_failed":        s("escrever %[1]s: %[2]v"),
	"cli.report.wrote":               s("report: %s escrito"),
	"cli.report.influx_at":           s("InfluxDB em %s"),
	"cli.report.the_data_dir":        s("o diretório de dados"),
	"cli.report.list_devices":        s("lista de equipamentos: %v"),
	"cli.report.list_maintenance":    s("lista de manutenção pendente: %v"),
	"cli.report.empty_registry": s("nenhum equipamento no registo em %s: este não é o diretório de dados que `oxywatch serve` usa, ou nenhum equipamento enviou ainda dados. " +
		"Indique o diretório de dados do servidor com --config FICHEIRO ou OXYWATCH_DATA_DIR=DIR (make run guarda-o em ./var/oxywatch), " +
		"ou registe os equipamentos (POST /api/v1/devices/import)"),
	"cli.report.provisional":        s("report: aviso: %[1]s ainda não terminou (vai até %[2]s); os números cobrem-no até %[3]s e vão mudar"),
	"cli.report.no_production_warn": s("report: aviso: %v; o relatório mostra a disponibilidade sem a secção de fornecimento"),
	"cli.report.no_production_err":  s("%v (a disponibilidade, e o relatório mensal sem a secção de fornecimento, funcionam sem eles)"),
	"cli.report.production_from":    s("%[1]s: %[2]v"),
	"cli.report.progress":           s("report: %[1]d/%[2]d equipamentos"),
	"cli.report.bad_period":         s("%v (indique --from e --to como datas, p. ex. 2026-11-01, ou --month 2026-11)"),
	"cli.report.month_and_range":    s("indique --month ou --from e --to, não ambos"),
	"cli.report.bad_month":          s("--month %q não é um mês como 2026-11"),
	"cli.report.bad_group":          s("--group %q não é device, facility, region nem country"),
	"cli.report.bad_format":         s("--format %q não é json, csv nem html"),
	"cli.report.bad_csv_headers":    s("--csv-headers %q não é machine nem human"),
	"cli.report.bad_lang":           s("--lang %q não é en, fr nem pt"),
	"cli.report.dhis2_bad_period":   s("--period %q não é um mês como 202611"),
	"cli.report.dhis2_unfinished":   s("%s ainda não terminou; o DHIS2 só aceita meses completos"),
	"cli.report.dhis2_no_url":       s("--push precisa de report.dhis2.url (OXYWATCH_REPORT_DHIS2_URL)"),
	"cli.report.dhis2_summary":      s("Importação DHIS2 de %[1]s: %[2]s"),
	"cli.report.dhis2_skipped":      s("report: dhis2: %[1]s da unidade sanitária %[2]q omitido: %[3]s"),

	"report.production.none":       s("números de produção indisponíveis: nenhuma fonte de produção está configurada (influx.url)"),
	"report.production.unreadable": s("números de produção indisponíveis: a base de séries temporais (InfluxDB) não pôde ser lida (%v)"),
}
