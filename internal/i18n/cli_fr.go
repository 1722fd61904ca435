package i18n

// cliFR: the command line in French (see cliEN). As everywhere in French, a
// no-break space (U+00A0) comes before : ; ! ? and inside « » (see
// TestFrenchSpaceBeforeHighPunctuation); the raw strings below, which take no
// escapes, hold the character itself.
var cliFR = map[Key]entry{
	"cli.usage": s(`oxywatch — surveillance des centrales d’oxygène médical et des concentrateurs

Utilisation :
  oxywatch serve [--config FICHIER]         lance l’ingestion, les alertes, l’API et le tableau de bord
  oxywatch check-config FICHIER             vérifie un fichier de configuration (et les règles,
                                            routes et correspondances qu’il nomme), puis quitte
  oxywatch token [--config FICHIER] COMMANDE
                                            crée, liste ou révoque des jetons d’API
  oxywatch device-token [--config FICHIER] COMMANDE
                                            crée, liste ou révoque des jetons d’appareil
                                            (ingestion HTTP : POST /api/v1/ingest/APPAREIL)
  oxywatch report [--config FICHIER] COMMANDE
                                            rapports de disponibilité, d’approvisionnement,
                                            mensuel et DHIS2
  oxywatch buffer [--config FICHIER] COMMANDE
                                            la mémoire tampon d’ingestion : replay-dead-letters
                                            renvoie les mesures refusées par InfluxDB
  oxywatch version                          affiche la version

Chaque clé de configuration peut aussi être donnée par une variable
d’environnement ; 'oxywatch serve --help' en donne la liste et les valeurs
par défaut. Messages en anglais, français ou portugais : OXYWATCH_LANG=fr,
sinon LC_ALL, LC_MESSAGES ou LANG, sinon notify.language.
`),
	"cli.no_command":       s("aucune commande donnée"),
	"cli.unknown_command":  s("commande inconnue %q"),
	"cli.warning":          s("attention\u00a0: %s"),
	"cli.config_invalid":   s("la configuration n’est pas valide\u00a0:\n%v"),
	"cli.config_keys":      s("Clés de configuration (clé YAML, variable d’environnement, valeur par défaut, signification)\u00a0:"),
	"cli.flag_default":     s("(par défaut\u00a0: %s)"),
	"cli.flags":            s("Options\u00a0:"),
	"cli.flag.config":      s("fichier de configuration YAML (variable OXYWATCH_CONFIG)"),
	"cli.flag.config_data": s("fichier de configuration YAML (variable OXYWATCH_CONFIG)\u00a0; son data_dir contient la base de données"),
	"cli.data_dir_failed":  s("répertoire de données %[1]s\u00a0: %[2]v"),

	"cli.check.usage":          s("Utilisation\u00a0: oxywatch check-config FICHIER\n\nVérifie FICHIER et l’environnement OXYWATCH_*\u00a0; quitte avec le code 1 en nommant chaque clé erronée."),
	"cli.check.one_file":       s("check-config attend exactement un FICHIER"),
	"cli.check.rules_valid":    s("les règles d’alerte sont valides"),
	"cli.check.mappings_valid": pl(1, "les correspondances d’ingestion sont valides (%d modèle)", "les correspondances d’ingestion sont valides (%d modèles)"),
	"cli.check.dhis2_valid":    s("la correspondance DHIS2 est valide"),
	"cli.check.sms_valid":      s("les modèles de SMS sont valides"),
	"cli.check.file_valid":     s("%[1]s\u00a0: %[2]s"),
	"cli.check.file_bad":       s("%[1]s %[2]s\u00a0: %[3]s"),
	"cli.check.key_bad":        s("%[1]s %[2]s"),
	"cli.check.files_invalid":  s("la configuration n’est pas valide\u00a0:\n  %s"),
	"cli.check.valid":          s("%s\u00a0: la configuration est valide"),

	"cli.serve.usage": s(`Utilisation : oxywatch serve [--config FICHIER]

Lance l’ingestion MQTT (avec un broker intégré sauf si mqtt.url est donné),
l’écriture dans InfluxDB, les alertes, l’API, le tableau de bord et /metrics.

Options :`),
	"cli.serve.admin_token":    s("Jeton administrateur OxyWatch (affiché une seule fois\u00a0; gardez-le en lieu sûr, ou créez-en d’autres avec `oxywatch token create`)\u00a0: %s"),
	"cli.serve.start_failed":   s("démarrage impossible\u00a0: %v"),
	"cli.serve.restart_failed": s("redémarrage\u00a0: %v"),

	"cli.token.help": s(`Utilisation : oxywatch token [--config FICHIER] COMMANDE

Commandes :
  create --role viewer|engineer|admin [--regions nord,est] [--name NOM]
         affiche le nouveau jeton une seule fois sur la sortie standard
  list   les jetons avec leur rôle, leurs régions et leur dernier usage (jamais les secrets)
  revoke ID

Les jetons sont dans la base SQLite sous data_dir ; un serveur en marche
voit les changements aussitôt.`),
	"cli.token.usage": s(`utilisation :
  oxywatch token create --role viewer|engineer|admin [--regions nord,est] [--name NOM]
  oxywatch token list
  oxywatch token revoke ID`),
	"cli.token.missing_sub":    s("token\u00a0: sous-commande manquante"),
	"cli.token.unknown_sub":    s("token\u00a0: sous-commande inconnue %q"),
	"cli.token.revoke_one":     s("token revoke\u00a0: donnez un identifiant de jeton"),
	"cli.token.revoked":        s("%s révoqué"),
	"cli.token.flag.role":      s("viewer, engineer ou admin"),
	"cli.token.flag.regions":   s("régions auxquelles le jeton est limité, séparées par des virgules (vide\u00a0: toutes)"),
	"cli.token.flag.name":      s("pour qui ou pour quoi est le jeton"),
	"cli.token.unexpected_arg": s("token create\u00a0: argument inattendu %q"),
	"cli.token.create_failed":  s("token create\u00a0: %v"),
	"cli.token.created":        s("jeton %[1]s créé (rôle %[2]s, régions %[3]s)\u00a0; il n’est affiché qu’une fois\u00a0:"),
	"cli.token.list_header":    s("ID\tNOM\tRÔLE\tRÉGIONS\tCRÉÉ\tRÉVOQUÉ"),
	"cli.token.all_regions":    s("toutes"),

	"cli.devtoken.help": s(`Utilisation : oxywatch device-token [--config FICHIER] COMMANDE

Les jetons d’appareil permettent aux appareils sans MQTT d’envoyer leurs
mesures par HTTP (POST /api/v1/ingest/APPAREIL, Authorization: Bearer JETON).
Un jeton envoie les mesures de ses propres appareils et ne peut rien d’autre.

Commandes :
  create [--name NOM] APPAREIL [APPAREIL...]
         affiche le nouveau jeton une seule fois ; les appareils doivent être
         enregistrés ; plusieurs appareils font le jeton d’une passerelle
         (POST /api/v1/ingest)
  list [APPAREIL]
         les jetons et leurs appareils (jamais les secrets)
  revoke ID

Les jetons sont dans la base SQLite sous data_dir ; un serveur en marche
voit les changements en quelques secondes.`),
	"cli.devtoken.usage": s(`utilisation :
  oxywatch device-token create [--name NOM] APPAREIL [APPAREIL...]
         affiche le nouveau jeton une seule fois ; plusieurs appareils font le jeton d’une passerelle
  oxywatch device-token list [APPAREIL]
  oxywatch device-token revoke ID`),
	"cli.devtoken.missing_sub":   s("device-token\u00a0: sous-commande manquante"),
	"cli.devtoken.unknown_sub":   s("device-token\u00a0: sous-commande inconnue %q"),
	"cli.devtoken.list_one":      s("device-token list\u00a0: donnez au plus un appareil"),
	"cli.devtoken.revoke_one":    s("device-token revoke\u00a0: donnez un identifiant de jeton (voir\u00a0: oxywatch device-token list)"),
	"cli.devtoken.flag.name":     s("à quoi sert le jeton (par ex. la passerelle)"),
	"cli.devtoken.create_failed": s("device-token create\u00a0: %v"),
	"cli.devtoken.created":       s("jeton d’appareil %[1]s créé pour %[2]s\u00a0; il n’est affiché qu’une fois\u00a0:"),
	"cli.devtoken.list_header":   s("ID\tNOM\tAPPAREILS\tCRÉÉ\tRÉVOQUÉ"),

	"cli.buffer.help": s(`Utilisation : oxywatch buffer [--config FICHIER] COMMANDE [options]

La mémoire tampon d’ingestion est sous data_dir/buffer. Les mesures
refusées par InfluxDB (un champ dont le type a changé, un arriéré plus
ancien que la politique de rétention, une ligne illisible) y sont gardées
dans dead-letter.lp, chaque groupe sous un commentaire donnant l’heure et la
raison donnée par InfluxDB.

Commandes :
  replay-dead-letters [--dry-run] [--file FICHIER] [--batch N]
         renvoie les mesures refusées à InfluxDB, une fois leur cause
         corrigée ; celles qu’InfluxDB refuse encore restent dans le fichier
         avec la nouvelle raison. Sans danger pendant que 'oxywatch serve'
         tourne, et interruptible.
         'oxywatch buffer replay-dead-letters --help' en dit plus.`),
	"cli.buffer.needs_command":   s("buffer attend une commande\u00a0: replay-dead-letters"),
	"cli.buffer.unknown_command": s("commande buffer inconnue %q\u00a0: lancez 'oxywatch buffer help'"),
	"cli.buffer.flag.file":       s("fichier de lettres mortes à renvoyer (une autre copie, par ex. une que vous avez corrigée)"),
	"cli.buffer.flag.dry_run":    s("compte seulement les lignes, par raison\u00a0; n’envoie rien"),
	"cli.buffer.flag.batch":      s("lignes par requête d’écriture (influx.batch_size)"),
	"cli.buffer.flag.config":     s("fichier de configuration YAML, accepté ici aussi"),
	"cli.buffer.replay_usage": s(`Utilisation : oxywatch buffer [--config FICHIER] replay-dead-letters [--dry-run] [--file FICHIER] [--batch N]

Renvoie à InfluxDB les mesures du fichier de lettres mortes
(influx.url %[1]s, bucket %[2]s). Corrigez d’abord la cause : la raison est
dans le commentaire au-dessus de chaque groupe de lignes :
  beyond_retention     plus ancien que ce que garde la politique de rétention : allongez-la
  field_type_conflict  le champ a un autre type dans InfluxDB
  series_limit         max-series-per-database ou max-values-per-tag atteint
  parse_error          la ligne elle-même est cassée : corrigez-la dans le fichier,
                       ou supprimez-la

Les mesures acceptées par InfluxDB quittent le fichier ; celles qu’il refuse
encore restent, avec la nouvelle raison, et la commande quitte avec le code 1
en disant combien. Une ligne présente deux fois est envoyée une fois. Le
fichier est réécrit de façon atomique au fil de l’envoi : Ctrl-C ou un
plantage ne perd rien, relancez pour continuer. 'oxywatch serve' peut tourner
pendant ce temps ; ce qu’il met en lettres mortes entre-temps est gardé.

Options :`),
	"cli.buffer.no_args":        s("replay-dead-letters ne prend pas d’argument, reçu %q\u00a0: donnez le fichier avec --file"),
	"cli.buffer.progress":       s("… %[1]d lignes envoyées sur %[2]d, %[3]d encore refusées"),
	"cli.buffer.running":        s("un autre renvoi de %s est en cours\u00a0: attendez qu’il se termine"),
	"cli.buffer.empty":          s("%s ne contient aucune lettre morte\u00a0: rien à renvoyer"),
	"cli.buffer.file_lines":     pl(2, "%[1]s\u00a0: %[2]d ligne", "%[1]s\u00a0: %[2]d lignes"),
	"cli.buffer.duplicates":     s(" (et %d doublons, envoyés une fois)"),
	"cli.buffer.dry_run":        s("essai à blanc\u00a0: rien n’a été envoyé"),
	"cli.buffer.sent":           pl(1, "%d ligne envoyée à InfluxDB", "%d lignes envoyées à InfluxDB"),
	"cli.buffer.still_refused":  pl(1, "%[1]d ligne encore refusée, gardée dans %[2]s\u00a0:", "%[1]d lignes encore refusées, gardées dans %[2]s\u00a0:"),
	"cli.buffer.refused_reason": s("  %[1]s %[2]d  par ex. %[3]s"),
	"cli.buffer.reason_unnamed": s("(raison non donnée)"),
	"cli.buffer.interrupted":    pl(2, "interrompu (%[1]v)\u00a0: la %[2]d ligne pas encore envoyée reste dans %[3]s\u00a0; relancez la commande pour continuer", "interrompu (%[1]v)\u00a0: les %[2]d lignes pas encore envoyées restent dans %[3]s\u00a0; relancez la commande pour continuer"),
	"cli.buffer.failed_left":    pl(2, "%[1]v\nla %[2]d ligne pas encore envoyée reste dans %[3]s\u00a0: vérifiez qu’InfluxDB à %[4]s répond, puis relancez la commande", "%[1]v\nles %[2]d lignes pas encore envoyées restent dans %[3]s\u00a0: vérifiez qu’InfluxDB à %[4]s répond, puis relancez la commande"),
	"cli.buffer.failed":         s("%[1]v\naucune ligne n’est perdue, mais %[2]s peut encore contenir des lignes déjà acceptées par InfluxDB\u00a0: relancez la commande"),
	"cli.buffer.refused_final":  pl(1, "%[1]d ligne encore refusée, gardée dans %[2]s\u00a0: corrigez la cause (raisons ci-dessus), ou corrigez ou supprimez la ligne dans le fichier, puis relancez la commande", "%[1]d lignes encore refusées, gardées dans %[2]s\u00a0: corrigez la cause (raisons ci-dessus), ou corrigez ou supprimez les lignes dans le fichier, puis relancez la commande"),

	"cli.report.usage_config": s(`Utilisation : oxywatch report [--config FICHIER] COMMANDE [options]

Lit le registre et la chronologie des états sous data_dir (les mêmes
--config et variables OXYWATCH_* que serve ; après make run, ./var/oxywatch
est trouvé tout seul) et les chiffres de production dans InfluxDB. La
disponibilité n’a pas besoin d’InfluxDB.
'oxywatch report help' donne les commandes.`),
	"cli.report.usage": s(`Utilisation : oxywatch report COMMANDE [options]

Commandes :
  uptime    heures dans chaque état, disponibilité, arrêts et réparations par groupe
  supply    capacité, oxygène produit, bouteilles et demande par groupe
  monthly   le rapport imprimable pour le ministère (HTML) : synthèse, régions,
            établissements, approvisionnement, réparations, arrêts, maintenance
            à faire ; --format csv pour ses chiffres par région et le total national
  repairs   ordres de travail par groupe : temps moyen de réparation, causes
            principales, encore ouverts, pannes sans ordre de travail
  dhis2     prépare les données DHIS2 (dataValueSets) du mois, et les envoie avec --push

Périodes : --from et --to sont des dates locales (2026-11-01, minuit dans
report.time_zone) ou des heures RFC 3339, la fin exclue ; --month 2026-11 est
un mois civil. Sans elles, le dernier mois complet.

Exemples :
  oxywatch report uptime --from 2026-11-01 --to 2026-12-01 --group region --format csv
  oxywatch report supply --month 2026-11 --group facility --format json
  oxywatch report monthly --month 2026-11 --out uptime-2026-11.html
  oxywatch report monthly --month 2026-11 --lang fr --out disponibilite-2026-11.html
  oxywatch report monthly --month 2026-11 --format csv --out national-2026-11.csv
  oxywatch report repairs --month 2026-11 --group region --format csv
  oxywatch report dhis2 --period 202611            # affiche les données
  oxywatch report dhis2 --period 202611 --push     # les envoie et affiche le bilan d’import

'oxywatch report COMMANDE --help' donne les options d’une commande.
`),
	"cli.report.needs_command":   s("oxywatch report attend une commande"),
	"cli.report.unknown_command": s("commande de rapport inconnue %q (uptime, supply, monthly, repairs ou dhis2)"),
	"cli.report.reading_dir":     s("report\u00a0: lecture du répertoire de données %s"),
	"cli.report.no_data": s("aucune donnée OxyWatch dans %[1]s (pas de %[2]s ni là ni dans %[3]s/)\u00a0: donnez le répertoire de données qu’utilise `oxywatch serve`, " +
		"avec --config FICHIER ou OXYWATCH_DATA_DIR=RÉP (make run le garde dans ./var/%[3]s)"),
	"cli.report.cmd_usage":           s("Utilisation\u00a0: oxywatch report %[1]s [options]\n\n%[2]s\n\nOptions\u00a0:"),
	"cli.report.summary.uptime":      s("Heures dans chaque état, uptime_pct, data_coverage_pct, arrêts et temps moyen de réparation par groupe."),
	"cli.report.summary.supply":      s("Capacité nominale et disponible, oxygène produit, bouteilles remplies, demande et couverture par groupe."),
	"cli.report.summary.repairs":     s("Ordres de travail par groupe\u00a0: temps moyen de réparation, causes principales, ordres encore ouverts, pannes sans ordre de travail."),
	"cli.report.flag.monthly_format": s("html (le rapport imprimable) ou csv (ses chiffres par région et le total national)"),
	"cli.report.bad_monthly_format":  s("--format %q n’est ni html ni csv"),
	"cli.report.summary.monthly":     s("Le rapport mensuel imprimable pour le ministère, un seul fichier HTML autonome (A4)."),
	"cli.report.summary.dhis2":       s("Prépare les données dataValueSets du mois pour DHIS2 et, avec --push, les envoie.\nIndicateurs\u00a0: %s"),
	"cli.report.flag.from":           s("début, une date locale comme 2026-11-01 ou une heure RFC 3339"),
	"cli.report.flag.to":             s("fin (exclue), une date locale ou une heure RFC 3339"),
	"cli.report.flag.month":          s("un mois civil, par ex. 2026-11 (au lieu de --from et --to)"),
	"cli.report.flag.out":            s("écrit dans ce fichier au lieu de la sortie standard"),
	"cli.report.flag.out_dhis2":      s("écrit les données dans ce fichier au lieu de la sortie standard"),
	"cli.report.flag.region":         s("seulement ces régions, séparées par des virgules (par défaut\u00a0: toutes)"),
	"cli.report.flag.lang":           s("langue du rapport HTML et des en-têtes CSV lisibles\u00a0: en, fr ou pt (par défaut\u00a0: notify.language, sinon en)\u00a0; le JSON et le CSV machine gardent les noms machine"),
	"cli.report.flag.group":          s("device, facility, region ou country"),
	"cli.report.flag.format":         s("json, csv ou html"),
	"cli.report.flag.csv_headers":    s("noms des colonnes CSV\u00a0: machine (noms stables que lisent les scripts) ou human (mots et séparateur décimal de --lang)"),
	"cli.report.flag.title":          s("titre du rapport, par ex. le nom du ministère (par défaut\u00a0: Programme national de l’oxygène – rapport sur les équipements, dans la langue de --lang)"),
	"cli.report.flag.period":         s("période mensuelle DHIS2, par ex. 202611 (par défaut\u00a0: le dernier mois complet)"),
	"cli.report.flag.mapping":        s("fichier de correspondance\u00a0: indicateurs vers éléments de données, établissements vers unités d’organisation (par défaut\u00a0: report.dhis2.mapping_file)"),
	"cli.report.flag.push":           s("envoie les données à report.dhis2.url et affiche le bilan d’import"),
	"cli.report.bad_flag":            s("%[1]s\u00a0: %[2]v (voir --help)"),
	"cli.report.unexpected_arg":      s("%[1]s\u00a0: argument inattendu %[2]q (voir --help)"),
	"cli.report.create_failed":       s("création de %[1]s\u00a0: %[2]v"),
	"cli.report.write_failed":        s("écriture de %[1]s\u00a0: %[2]v"),
	"cli.report.wrote":               s("report\u00a0: %s écrit"),
	"cli.report.influx_at":           s("InfluxDB à %s"),
	"cli.report.the_data_dir":        s("le répertoire de données"),
	"cli.report.list_devices":        s("liste des appareils\u00a0: %v"),
	"cli.report.list_maintenance":    s("liste des maintenances à faire\u00a0: %v"),
	"cli.report.empty_registry": s("aucun appareil dans le registre de %s\u00a0: ce n’est pas le répertoire de données qu’utilise `oxywatch serve`, ou aucun appareil n’a encore rien envoyé. " +
		"Donnez le répertoire de données du serveur avec --config FICHIER ou OXYWATCH_DATA_DIR=RÉP (make run le garde dans ./var/oxywatch), " +
		"ou enregistrez les appareils (POST /api/v1/devices/import)"),
	"cli.report.provisional":        s("report\u00a0: attention\u00a0: %[1]s n’est pas terminé (jusqu’au %[2]s)\u00a0; les chiffres le couvrent jusqu’au %[3]s et changeront"),
	"cli.report.no_production_warn": s("report\u00a0: attention\u00a0: %v\u00a0; le rapport montre la disponibilité sans la partie approvisionnement"),
	"cli.report.no_production_err":  s("%v (la disponibilité, et le rapport mensuel sans sa partie approvisionnement, s’en passent)"),
	"cli.report.production_from":    s("%[1]s\u00a0: %[2]v"),
	"cli.report.progress":           s("report\u00a0: %[1]d/%[2]d appareils"),
	"cli.report.bad_period":         s("%v (donnez --from et --to en dates comme 2026-11-01, ou --month 2026-11)"),
	"cli.report.month_and_range":    s("donnez --month ou bien --from et --to, pas les deux"),
	"cli.report.bad_month":          s("--month %q n’est pas un mois comme 2026-11"),
	"cli.report.bad_group":          s("--group %q n’est pas device, facility, region ou country"),
	"cli.report.bad_format":         s("--format %q n’est pas json, csv ou html"),
	"cli.report.bad_csv_headers":    s("--csv-headers %q n’est ni machine ni human"),
	"cli.report.bad_lang":           s("--lang %q n’est pas en, fr ou pt"),
	"cli.report.dhis2_bad_period":   s("--period %q n’est pas un mois comme 202611"),
	"cli.report.dhis2_unfinished":   s("%s n’est pas terminé\u00a0; DHIS2 ne prend que des mois complets"),
	"cli.report.dhis2_no_url":       s("--push demande report.dhis2.url (OXYWATCH_REPORT_DHIS2_URL)"),
	"cli.report.dhis2_summary":      s("Import DHIS2 de %[1]s\u00a0: %[2]s"),
	"cli.report.dhis2_skipped":      s("report\u00a0: dhis2\u00a0: %[1]s de l’établissement %[2]q omis\u00a0: %[3]s"),

	"report.production.none":       s("chiffres de production indisponibles\u00a0: aucune source de production n’est configurée (influx.url)"),
	"report.production.unreadable": s("chiffres de production indisponibles\u00a0: la base de séries temporelles (InfluxDB) n’a pas pu être lue (%v)"),
}
