package app

// What the command line's tools need (cmd/oxywatch talks to this package
// only): the report tool, the checks of the files a configuration names,
// the dead-letter replay, and the API and device token stores. Types are
// aliases of the parts' own, so there is one owner of each.

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/alerting"
	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/ingest/buffer"
	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/influx"
	"github.com/oxywatch/oxywatch/internal/smsalarm"
	"github.com/oxywatch/oxywatch/internal/store"
	"github.com/oxywatch/oxywatch/report"
	"github.com/oxywatch/oxywatch/report/dhis2"
)

// The report tool and what it is asked (see package report).
type (
	ReportTool    = report.Tool
	ReportRequest = report.Request
	DHIS2Request  = report.DHIS2Request
	ReportOutput  = report.Output
)

// ErrReportUsage is wrapped by errors in what a report request asks for;
// ErrEmptyRegistry by the refusal to report on a registry without devices.
var (
	ErrReportUsage   = report.ErrUsage
	ErrEmptyRegistry = report.ErrEmptyRegistry
)

// DBFile is the SQLite file under data_dir that holds the registry, the
// alerting state and the tokens.
const DBFile = store.DBFile

// DHIS2Indicators lists the indicators a DHIS2 mapping may name.
func DHIS2Indicators() []string { return report.Indicators() }

// OpenReports opens what `oxywatch report` reads: the registry and the
// status timeline in SQLite (safe while the server runs; this process only
// reads) and InfluxDB for production. Notices for the person running it go
// to notice. release closes what it opened.
func OpenReports(ctx context.Context, cfg config.Config, log *slog.Logger, notice func(i18n.Message)) (tool *ReportTool, release func(), err error) {
	a := &App{cfg: cfg, log: log, reg: prometheus.NewRegistry()}
	release = a.closeAll
	defer func() {
		if err != nil {
			release()
		}
	}()
	if a.db, err = store.OpenSQLite(cfg.DataDir); err != nil {
		return nil, release, err
	}
	if a.devs, err = store.OpenRegistry(ctx, a.db, nil); err != nil {
		return nil, release, err
	}
	rules, err := loadRules(cfg)
	if err != nil {
		return nil, release, err
	}
	// The server owns the alerting state; this process reads its tables.
	tables := alerting.Reader{DB: a.db, Lookup: a.devs.Device, Rules: rules}
	a.influx = newInflux(cfg.Influx)
	return report.NewTool(report.Sources{
		Config:     cfg.Report,
		Language:   cfg.Notify.Language, // the deployment's default language
		Registry:   registryForReports{a.devs},
		Timelines:  tables,
		Production: a.influx,
		Maintenance: func(ctx context.Context) ([]report.MaintenanceDue, error) {
			return dueItems(tables.MaintenanceDue(ctx))
		},
		DataDir:        cfg.DataDir,
		ProductionFrom: i18n.Msg("cli.report.influx_at", cfg.Influx.URL),
	}, notice), release, nil
}

// FileCheck is what check-config found in one file a configuration names:
// Valid, said for a person, or Err.
type FileCheck struct {
	Key, File string // the configuration key naming the file, and the file
	Valid     i18n.Message
	Err       error
}

// CheckFiles reads every file cfg names (alert rules, ingest mappings, the
// DHIS2 mapping, SMS patterns) as the server would.
func CheckFiles(cfg config.Config) []FileCheck {
	var out []FileCheck
	check := func(key, file string, read func() (i18n.Message, error)) {
		if file == "" {
			return
		}
		m, err := read()
		out = append(out, FileCheck{Key: key, File: file, Valid: m, Err: err})
	}
	check("alerting.rules_file", cfg.Alerting.RulesFile, func() (i18n.Message, error) {
		_, err := alerting.LoadRules(cfg.Alerting.RulesFile)
		return i18n.Msg("cli.check.rules_valid"), err
	})
	check("ingest.mappings", cfg.Ingest.Mappings, func() (i18n.Message, error) {
		set, err := ingest.LoadMappings(cfg.Ingest.Mappings)
		if err != nil {
			return i18n.Message{}, err
		}
		return i18n.Msg("cli.check.mappings_valid", len(set.Models())), nil
	})
	check("report.dhis2.mapping_file", cfg.Report.DHIS2.MappingFile, func() (i18n.Message, error) {
		_, err := dhis2.LoadMapping(cfg.Report.DHIS2.MappingFile, report.Indicators())
		return i18n.Msg("cli.check.dhis2_valid"), err
	})
	check("ingest.sms.patterns_file", cfg.Ingest.SMS.PatternsFile, func() (i18n.Message, error) {
		_, err := smsalarm.LoadFile(cfg.Ingest.SMS.PatternsFile)
		return i18n.Msg("cli.check.sms_valid"), err
	})
	return out
}

// The dead-letter replay (see ingest.ReplayDeadLetters).
type (
	ReplayOptions = ingest.ReplayOptions
	ReplayResult  = ingest.ReplayResult
)

// ErrReplayRunning: another replay of the same file is running.
var ErrReplayRunning = buffer.ErrReplayRunning

// DeadLetterFile is where the ingest buffer under dataDir keeps the
// readings InfluxDB refused.
func DeadLetterFile(dataDir string) string {
	return filepath.Join(dataDir, buffer.Subdir, buffer.DeadLetterFile)
}

// ReplayDeadLetters sends a dead-letter file to the InfluxDB cfg names.
func ReplayDeadLetters(ctx context.Context, cfg config.Config, opt ReplayOptions) (ReplayResult, error) {
	c := influx.New(influx.OptionsFrom(cfg.Influx))
	defer c.Close()
	opt.Writer = c
	return ingest.ReplayDeadLetters(ctx, opt)
}

// OpenDatabase opens the SQLite database under dataDir.
func OpenDatabase(dataDir string) (*sql.DB, error) { return store.OpenSQLite(dataDir) }
