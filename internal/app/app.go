// Package app builds every part of OxyWatch from the configuration, runs
// them, and stops them in order. It is the only package that knows them all.
package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/oxywatch/oxywatch/alerting"
	"github.com/oxywatch/oxywatch/alerting/notify"
	"github.com/oxywatch/oxywatch/api"
	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/ingest/broker"
	"github.com/oxywatch/oxywatch/ingest/buffer"
	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/influx"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/smsalarm"
	"github.com/oxywatch/oxywatch/internal/store"
	"github.com/oxywatch/oxywatch/report"
)

// App is a running OxyWatch.
type App struct {
	cfg    config.Config
	log    *slog.Logger
	reg    *prometheus.Registry
	db     *sql.DB
	dbFile *dbFile
	devs   *store.Registry
	broker *broker.Broker
	buf    *buffer.Buffer
	influx *influx.Client
	ingest *ingest.Ingester
	intake intake
	sender *ingest.Sender
	http   *http.Server
	ln     net.Listener

	tokens   *store.Tokens
	audit    *store.Audit
	notify   *notify.Service
	engine   *alerting.Engine
	reporter *report.Reporter
	newAdmin string // admin token created on this first start

	devTokens   *store.DeviceTokens // HTTP ingest (ingest_device.go)
	smsPatterns *smsalarm.Set       // alarm SMS from devices

	// HTTPAddr is the address the API listens on (useful with port 0).
	HTTPAddr string

	extra []ingest.Consumer
}

// intake is where messages come in: the embedded broker, which ingests in
// its own publish path, or subscriber connections to an external broker.
type intake interface {
	Start(ctx context.Context)
	Connected() bool
	Fatal() <-chan error
	Stop()
}

// Option changes how New builds the app.
type Option func(*App)

// WithConsumer adds a consumer of accepted readings and status messages,
// called after they are durable (tests and benchmarks observe the stream).
func WithConsumer(c ingest.Consumer) Option {
	return func(a *App) { a.extra = append(a.extra, c) }
}

// New builds every part; nothing runs until Run.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts ...Option) (*App, error) {
	a := &App{cfg: cfg, log: log, reg: prometheus.NewRegistry()}
	for _, o := range opts {
		o(a)
	}
	a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := a.build(ctx); err != nil {
		a.closeAll()
		return nil, err
	}
	return a, nil
}

func (a *App) build(ctx context.Context) error {
	var err error
	if a.db, err = store.OpenSQLite(a.cfg.DataDir); err != nil {
		return err
	}
	if a.dbFile, err = newDBFile(ctx, filepath.Join(a.cfg.DataDir, store.DBFile), a.db, a.log, a.reg); err != nil {
		return err
	}
	if a.devs, err = store.OpenRegistry(ctx, a.db, nil); err != nil {
		return err
	}
	if a.buf, err = buffer.Open(filepath.Join(a.cfg.DataDir, buffer.Subdir), buffer.Options{}); err != nil {
		return err
	}
	a.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "oxywatch_buffer_append_failing", Help: "1 while readings cannot be made durable (disk full?): devices are not acknowledged and send again.",
	}, func() float64 {
		if a.buf.Failing() != nil {
			return 1
		}
		return 0
	}))
	if buffer.Repaired > 0 {
		a.log.Warn("the ingest buffer ended in a torn write (power cut?); the torn bytes were cut off and kept beside it, every whole reading is kept", "bytes", buffer.Repaired)
	}
	if buffer.Quarantined != "" {
		a.log.Error("the ingest buffer was damaged (torn write after a power cut?) and was moved aside; recover it by hand", "moved_to", buffer.Quarantined)
	}
	a.influx = newInflux(a.cfg.Influx)
	if err := a.buildAccess(ctx); err != nil {
		return err
	}
	if err := a.buildNotify(); err != nil {
		return err
	}
	if err := a.buildAlerting(ctx); err != nil {
		return err
	}
	fleet := ingest.NewFleet()
	a.restoreFleet(ctx, fleet)
	io, err := a.ingestOptions()
	if err != nil {
		return err
	}
	a.ingest = ingest.New(ingest.Options{
		Mappings: io.Mappings, Sparkplug: io.Sparkplug, Command: io.Command,
		TopicPrefix:   a.cfg.MQTT.TopicPrefix,
		Buffer:        a.buf,
		Directory:     a.devs,
		RejectUnknown: a.cfg.Ingest.UnknownDevices == "reject",
		Consumer:      append(ingest.Consumers{a.engine}, a.extra...),
		Fleet:         fleet,
		Logger:        a.log,
		Registerer:    a.reg,
	})
	if err := a.buildDeviceIngest(ctx); err != nil {
		return err
	}
	a.sender = ingest.NewSender(ingest.SenderOptions{
		Buffer: a.buf, Writer: a.influx, BatchLines: a.cfg.Influx.BatchSize,
		MaxRetryWait: a.cfg.Influx.MaxRetryWait, Logger: a.log, Registerer: a.reg,
	})
	a.reporter = report.New(registryForReports{a.devs}, a.engine, a.influx, report.OptionsFrom(a.cfg.Report))
	return a.buildMQTT()
}

func newInflux(c config.Influx) *influx.Client { return influx.New(influx.OptionsFrom(c)) }

// buildAccess opens the token store and the audit log, and creates the
// first admin token when there is none and none is configured.
func (a *App) buildAccess(ctx context.Context) error {
	var err error
	if a.tokens, err = store.OpenTokens(ctx, a.db, nil); err != nil {
		return err
	}
	if a.audit, err = store.OpenAudit(ctx, a.db); err != nil {
		return err
	}
	if a.cfg.AdminToken == "" {
		tok, created, err := api.EnsureAdminToken(ctx, a.tokens)
		if err != nil {
			return fmt.Errorf("create the first admin token: %w", err)
		}
		if created {
			a.newAdmin = tok
			a.log.Info("created the first admin API token; it is printed once on stdout")
		}
	}
	return nil
}

// NewAdminToken is the admin token created on this first start, for the
// caller to show once; empty on later starts.
func (a *App) NewAdminToken() string { return a.newAdmin }

func (a *App) buildNotify() error {
	senders, err := notify.SendersFromConfig(a.cfg.Notify, nil)
	if err != nil {
		return err
	}
	a.notify, err = notify.New(notify.Options{
		DB: a.db, Config: a.cfg.Notify, Senders: senders, Registerer: a.reg,
		Logger: a.log.With("component", "notify"),
		Lookup: func(_ context.Context, al plant.Alert) (string, plant.Kind) {
			d, _ := a.devs.Device(al.Device)
			return al.Facility, d.Kind
		},
	})
	return err
}

// handler is the whole HTTP surface: the API and dashboard, and the
// inbound-SMS webhook (authenticated by its own token or signature).
func (a *App) handler() http.Handler {
	apiHandler := api.New(api.Options{
		Gatherer: a.reg, Ready: a.Ready, Logger: a.log.With("component", "api"),
		Tokens: a.tokens, AdminToken: a.cfg.AdminToken, Audit: a.audit,
		Registry: registryForAPI{a.devs, a.engine}, Live: a.ingest.Fleet(), Readings: readings{a.influx},
		Status: engineStatus(a.engine), Alerts: alerts{a.engine}, Silences: silences{a.engine}, Maintenance: maintenance{a.engine, a.ingest.Fleet().Get},
		Contacts: contacts{a.notify}, Deliveries: deliveries(a.notify),
		Reports: reports{a.reporter},
		Limits:  limits{a.engine},
		Ingest:  httpIngest{a.ingest}, DeviceTokens: a.devTokens,
		IngestRate: a.cfg.Ingest.HTTP.Rate, IngestBurst: a.cfg.Ingest.HTTP.Burst,
		// The deployment's language and zone, for the dashboard and report
		// routes: notify.language and report.time_zone.
		Language: a.cfg.Notify.Language, TimeZone: a.cfg.Report.TimeZone,
	})
	mux := http.NewServeMux()
	mux.Handle("/", apiHandler)
	mux.Handle("POST "+InboundSMSPath, a.notify.InboundSMSFrom(a.engine, a.deviceSMS()))
	return mux
}

// InboundSMSPath receives SMS replies (ACK 4821) from the SMS provider.
const InboundSMSPath = "/api/v1/notify/sms/inbound"

func (a *App) buildMQTT() error {
	m := a.cfg.MQTT
	if m.URL != "" {
		a.intake = ingest.NewSubscriber(ingest.MQTTOptions{
			URL: m.URL, Username: m.Username, Password: m.Password,
			ClientID: m.ClientID, TopicPrefix: m.TopicPrefix, Connections: m.Connections,
			Sparkplug: a.cfg.Ingest.Sparkplug.Enabled,
			Logger:    a.log, Registerer: a.reg,
		}, a.ingest.HandleMessageAsync)
		return nil
	}
	users := make([]broker.User, len(m.Users))
	for i, u := range m.Users {
		users[i] = broker.User{Username: u.Username, Password: u.Password}
	}
	b, err := broker.New(broker.Options{
		Listen: m.Listen, DataDir: filepath.Join(a.cfg.DataDir, "broker"),
		TopicPrefix: m.TopicPrefix, Ingester: m.Username, Users: users, Logger: a.log,
		Registerer: a.reg, Handle: a.ingest.HandleMessage, HandleAsync: a.ingest.HandleMessageAsync,
	})
	if err != nil {
		return fmt.Errorf("%w (is another MQTT broker already on %s? set mqtt.url to use it, or mqtt.listen to move)", err, m.Listen)
	}
	a.broker, a.intake = b, b
	return nil
}

func (a *App) restoreFleet(ctx context.Context, fleet *ingest.Fleet) {
	err := a.devs.LoadStates(ctx, func(id plant.DeviceID, b []byte) error {
		var st ingest.DeviceState
		if err := json.Unmarshal(b, &st); err != nil {
			return fmt.Errorf("state of %s: %w", id, err)
		}
		fleet.Restore(id, st)
		return nil
	})
	if err != nil {
		a.log.Warn("could not restore device states; they rebuild from new telemetry", "err", err)
	}
}

// Ready reports whether the broker is connected and the stores writable.
// The buffer comes first: a subscriber connection that could not make a
// message durable steps back from the broker for a while, and "not
// connected" would hide why.
func (a *App) Ready(ctx context.Context) error {
	if err := a.buf.Failing(); err != nil {
		return fmt.Errorf("readings cannot be made durable, devices are not acknowledged: %w", err)
	}
	if !a.intake.Connected() {
		return ingest.ErrNotConnected
	}
	if err := a.db.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if err := a.dbFile.err(); err != nil {
		return err
	}
	return nil
}

// Run serves until ctx is done or a part fails, then stops everything in
// order: MQTT intake, store flush, device states, HTTP, broker.
func (a *App) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.HTTP.Addr)
	if err != nil {
		a.closeAll()
		return fmt.Errorf("http listen %s: %w (set http.addr or OXYWATCH_HTTP_ADDR to another port)", a.cfg.HTTP.Addr, err)
	}
	a.ln, a.HTTPAddr = ln, ln.Addr().String()
	a.http = &http.Server{
		Handler:           a.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,     // a CSV import over GSM
		WriteTimeout:      2 * time.Minute, // the API's own per-request deadline is 30 s
		IdleTimeout:       2 * time.Minute,
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Each stage has its own context so shutdown can stop them in order.
	alertCtx, stopAlerting := context.WithCancel(context.Background())
	notifyCtx, stopNotify := context.WithCancel(context.Background())
	defer stopAlerting()
	defer stopNotify()
	var wg, alertWG, notifyWG sync.WaitGroup
	errc := make(chan error, 4)
	wg.Go(func() { a.sender.Run(ctx) })
	wg.Go(func() { a.flushStates(ctx) })
	alertWG.Go(func() {
		if err := a.engine.Run(alertCtx); err != nil {
			errc <- fmt.Errorf("alerting: %w", err)
		}
	})
	notifyWG.Go(func() {
		if err := a.notify.Run(notifyCtx); err != nil && !errors.Is(err, context.Canceled) {
			errc <- fmt.Errorf("notify: %w", err)
		}
	})
	wg.Go(func() { a.scheduleDHIS2(ctx) })
	wg.Go(func() { a.trackRegistry(ctx) })
	setMemoryLimit(a.cfg.MemoryLimitMiB, a.ingest.Fleet().Len(), a.log)
	wg.Go(func() { a.followMemoryLimit(ctx) })
	wg.Go(func() { a.dbFile.watch(ctx) })
	go func() {
		var err error
		if a.cfg.HTTP.TLSCert != "" {
			err = a.http.ServeTLS(ln, a.cfg.HTTP.TLSCert, a.cfg.HTTP.TLSKey)
		} else {
			err = a.http.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	}()
	a.intake.Start(ctx)
	if a.broker != nil {
		a.log.Info("embedded MQTT broker listening", "addr", a.cfg.MQTT.Listen)
	}
	a.log.Info("oxywatch running", "http", "http://"+a.HTTPAddr, "influx", a.cfg.Influx.URL, "bucket", a.cfg.Influx.Bucket, "data_dir", a.cfg.DataDir)

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-a.intake.Fatal():
		a.log.Error("stopping: ingest cannot go on safely", "err", runErr)
	case runErr = <-errc:
		a.log.Error("stopping", "err", runErr)
	case <-a.dbFile.restartRequested():
		runErr = ErrRestart
	}
	a.intake.Stop() // 1. take no more messages; unacknowledged ones stay with the devices or the broker
	stopAlerting()  // 2. alerting writes what it decided (and its outbox rows)
	alertWG.Wait()  //
	stopNotify()    // 3. notify finishes the sends in flight, within its timeout
	notifyWG.Wait() //
	cancel()        // 4. the sender makes a last bounded attempt and stops
	wg.Wait()
	a.saveStates()
	if err := a.dbFile.close(); err != nil {
		a.log.Error("the SQLite file could not be written back; the data dir holds what the last run saw", "err", err)
		runErr = errors.Join(runErr, err)
	}
	shutdownCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	_ = a.http.Shutdown(shutdownCtx) // 5. the API last, so /readyz told the truth until now
	a.closeAll()
	return runErr
}

// scheduleDHIS2 pushes last month's figures to DHIS2 on the configured day.
func (a *App) scheduleDHIS2(ctx context.Context) {
	sched, ok := report.ScheduleFrom(a.cfg.Report)
	if !ok {
		return
	}
	exp, err := report.NewDHIS2Exporter(a.cfg.Report, a.reporter, nil)
	if err != nil {
		a.log.Error("DHIS2 scheduled push disabled", "err", err)
		return
	}
	exp.Log = a.log.With("component", "dhis2")
	// It returns only when ctx ends, with ctx's error; anything else is a fault.
	if err := exp.RunMonthly(ctx, sched); !errors.Is(err, context.Canceled) {
		a.log.Error("DHIS2 schedule stopped", "err", err)
	}
}

// trackRegistry hands alerting every registered device each minute, so a
// device registered while running that never reports still goes offline.
func (a *App) trackRegistry(ctx context.Context) {
	every(ctx, time.Minute, func() {
		devs, err := a.devs.Devices(ctx)
		if err != nil {
			a.log.Warn("listing the registry for alerting failed", "err", err)
			return
		}
		for _, d := range devs {
			a.engine.Track(d.ID)
		}
	})
}

// flushStates saves per-device live state every 10 s.
func (a *App) flushStates(ctx context.Context) { every(ctx, 10*time.Second, a.saveStates) }

// every calls fn each period until ctx is done.
func every(ctx context.Context, period time.Duration, fn func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

func (a *App) saveStates() {
	snap := a.ingest.Fleet().Snapshot()
	states := make(map[plant.DeviceID]any, len(snap))
	for id, st := range snap {
		states[id] = st
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.devs.SaveStates(ctx, states); err != nil {
		a.log.Warn("saving device states failed", "err", err)
	}
}

func (a *App) closeAll() {
	if a.buf != nil {
		if err := a.buf.Close(); err != nil {
			a.log.Error("close buffer", "err", err)
		}
	}
	if a.influx != nil {
		a.influx.Close()
	}
	if a.broker != nil {
		_ = a.broker.Close()
	}
	if a.devs != nil {
		if err := a.devs.Close(); err != nil {
			a.log.Warn("writing newly seen devices failed; they are listed again on their next reading", "err", err)
		}
	}
	if a.db != nil {
		_ = a.db.Close()
	}
}

// Gatherer exposes the metrics registry (tests read it).
func (a *App) Gatherer() prometheus.Gatherer { return a.reg }
