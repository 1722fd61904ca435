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
// reads) and InfluxDB for production. close releases them.
func ReportDeps(ctx context.Context, cfg config.Config, log *slog.Logger) (deps report.CLIDeps, close func(), err error) {
	a := &App{cfg: cfg, log: log, reg: prometheus.NewRegistry()}
	close = a.closeAll
	defer func() {
		if err != nil {
			close()
		}
	}()
	if a.db, err = store.OpenSQLite(cfg.DataDir); err != nil {
		return deps, close, err
	}
	if a.devs, err = store.OpenRegistry(ctx, a.db, nil); err != nil {
		return deps, close, err
	}
	var rules alerting.Rules
	if f := cfg.Alerting.RulesFile; f != "" {
		if rules, err = alerting.LoadRules(f); err != nil {
			return deps, close, err
		}
	}
	// The engine is never Run here: it observes nothing and writes nothing.
	if a.engine, err = alerting.New(ctx, alerting.Options{
		DB: a.db, Registerer: a.reg, Logger: log, Rules: rules, Lookup: a.devs.Device,
	}); err != nil {
		return deps, close, err
	}
	a.influx = store.NewInflux(store.InfluxOptions{
		URL: cfg.Influx.URL, Token: cfg.Influx.Token, Org: cfg.Influx.Org, Bucket: cfg.Influx.Bucket,
		Timeout: cfg.Influx.Timeout,
	})
	return report.CLIDeps{
		Config:      cfg.Report,
		Registry:    registryForReports{a.devs},
		Timelines:   a.engine,
		Production:  &report.InfluxProduction{Query: a.influx, Bucket: a.influx.Bucket()},
		Maintenance: a.maintenanceDue,
	}, close, nil
}
