package app

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/alerting"
	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/store"
	"github.com/oxywatch/oxywatch/report"
)

// ReportDeps opens what `oxywatch report` reads: the registry and the
// status timeline in SQLite (safe while the server runs; this process only
// reads) and InfluxDB for production. release closes them.
func ReportDeps(ctx context.Context, cfg config.Config, log *slog.Logger) (deps report.CLIDeps, release func(), err error) {
	a := &App{cfg: cfg, log: log, reg: prometheus.NewRegistry()}
	release = a.closeAll
	defer func() {
		if err != nil {
			release()
		}
	}()
	if a.db, err = store.OpenSQLite(cfg.DataDir); err != nil {
		return deps, release, err
	}
	if a.devs, err = store.OpenRegistry(ctx, a.db, nil); err != nil {
		return deps, release, err
	}
	rules, err := loadRules(cfg)
	if err != nil {
		return deps, release, err
	}
	// The server owns the alerting state; this process reads its tables.
	tables := alerting.Reader{DB: a.db, Lookup: a.devs.Device, Rules: rules}
	a.influx = newInflux(cfg.Influx)
	return report.CLIDeps{
		Config:     cfg.Report,
		Language:   cfg.Notify.Language, // the deployment's default language
		Registry:   registryForReports{a.devs},
		Timelines:  tables,
		Production: a.influx,
		Maintenance: func(ctx context.Context) ([]report.MaintenanceDue, error) {
			return dueItems(tables.MaintenanceDue(ctx))
		},
	}, release, nil
}
