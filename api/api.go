// Package api serves OxyWatch's HTTP interface: the REST API under /api/v1
// (CONTRACT §5), health and readiness probes, Prometheus metrics and the
// built-in dashboard.
package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// ReadyFunc reports why the server is not ready, or nil.
type ReadyFunc func(ctx context.Context) error

// Options are what the HTTP layer needs. Only Gatherer and Ready are
// required; every other dependency is optional and its routes answer 501
// while it is nil. Without Tokens and AdminToken no request to /api/v1 can
// authenticate (401).
type Options struct {
	Gatherer prometheus.Gatherer
	// Registerer takes the API's own metrics; nil: Gatherer when it is a
	// Registerer too (a *prometheus.Registry), else none are exported.
	Registerer prometheus.Registerer
	Ready      ReadyFunc
	Logger     *slog.Logger // nil: discard

	Tokens     *store.Tokens // API tokens (store.OpenTokens)
	AdminToken string        // config admin_token: accepted as an unlimited admin
	Audit      *store.Audit  // audit log of every change (store.OpenAudit)

	Registry    Registry
	Live        Live       // *ingest.Fleet satisfies it
	Status      StatusFunc // the alerting engine's; nil: every device no_data
	Readings    Readings   // history (InfluxDB in internal/app)
	Alerts      Alerts
	Silences    Silences
	Maintenance Maintenance
	Contacts    Contacts
	Deliveries  DeliveriesFunc
	Reports     Reports
	Limits      LimitsSource // the alerting engine's limits per device

	// HTTP ingest (POST /api/v1/ingest): readings posted by devices with
	// a device token. Both nil: the routes answer 501.
	Ingest       Ingest
	DeviceTokens *store.DeviceTokens
	IngestRate   float64 // requests per second per device; 0: 1; negative: no limit
	IngestBurst  int     // 0: 60

	Now func() time.Time // nil: time.Now

	// Language is the deployment's default language (config
	// notify.language): the dashboard's when the browser asks for none of
	// en, fr, pt, and reports' when the request names none. "": English.
	Language string
	// TimeZone is the deployment's IANA zone (config report.time_zone),
	// which GET /settings gives the dashboard. "": UTC.
	TimeZone string

	RateLimit      float64       // requests per second per token; 0: 20; negative: no limit
	RateBurst      int           // 0: 100
	MaxBodyBytes   int64         // JSON bodies; 0: 1 MiB
	MaxImportBytes int64         // CSV imports; 0: 8 MiB
	Timeout        time.Duration // per request; 0: 30 s
	RegistryTTL    time.Duration // device list cache; 0: 2 s; negative: no cache
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Registerer == nil {
		o.Registerer, _ = o.Gatherer.(prometheus.Registerer)
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	if o.Status == nil {
		o.Status = func(plant.Device, plant.LiveState, bool, time.Time) plant.Status { return plant.StatusNoData }
	}
	if o.RateLimit == 0 {
		o.RateLimit = 20
	}
	if o.RateBurst == 0 {
		o.RateBurst = 100
	}
	if o.IngestRate == 0 {
		o.IngestRate = 1
	}
	if o.IngestBurst == 0 {
		o.IngestBurst = 60
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.MaxImportBytes == 0 {
		o.MaxImportBytes = 8 << 20
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	if o.RegistryTTL == 0 {
		o.RegistryTTL = 2 * time.Second
	}
}

// server holds the handlers' shared state.
type server struct {
	opt     Options
	log     *slog.Logger
	limiter *limiter
	logins  *loginLimiter
	devices *deviceCache

	ingestLimit *limiter // per device
	ingestReq   *prometheus.CounterVec
}

// New returns the HTTP handler.
func New(opts Options) http.Handler {
	opts.defaults()
	s := &server{opt: opts, log: opts.Logger, limiter: newLimiter(opts.RateLimit, opts.RateBurst, opts.Now),
		logins: newLoginLimiter(opts.Now, opts.Logger, opts.Registerer)}
	s.devices = newDeviceCache(opts.Registry, opts.RegistryTTL, opts.Now)
	s.ingestLimit, s.ingestReq = newLimiter(opts.IngestRate, opts.IngestBurst, opts.Now), newIngestRequests(opts.Registerer)
	r := chi.NewRouter()
	r.Use(middleware.RequestID, withDefaultLang(s.defaultLang()), s.logRequests, s.recoverer)
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/readyz", func(w http.ResponseWriter, req *http.Request) {
		ctx, cancel := context.WithTimeout(req.Context(), 2*time.Second)
		defer cancel()
		if err := opts.Ready(ctx); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{}))
	s.ingestRoutes(r) // device tokens, not API tokens
	r.Route("/api/v1", s.routes)
	s.dashboard(r)
	r.NotFound(func(w http.ResponseWriter, req *http.Request) {
		problemT(w, req, http.StatusNotFound, "api.no_such_route")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, req *http.Request) {
		problemT(w, req, http.StatusMethodNotAllowed, "api.method_not_allowed")
	})
	return r
}

// routes mounts /api/v1. Each route names the least role it needs.
func (s *server) routes(r chi.Router) {
	r.Use(s.timeout, s.authenticate, s.rateLimit)
	r.NotFound(func(w http.ResponseWriter, req *http.Request) {
		problemT(w, req, http.StatusNotFound, "api.no_such_route")
	})
	r.With(need(RoleViewer)).Get("/me", s.me)
	r.With(need(RoleViewer)).Get("/settings", s.settings)
	r.With(need(RoleViewer)).Get("/openapi.json", s.openAPI)

	r.With(need(RoleViewer)).Get("/devices", s.listDevices)
	r.With(need(RoleAdmin)).Post("/devices/import", s.importDevices)
	r.With(need(RoleViewer)).Get("/devices/{id}", s.getDevice)
	r.With(need(RoleAdmin)).Put("/devices/{id}", s.putDevice)
	r.With(need(RoleAdmin)).Delete("/devices/{id}", s.deleteDevice)
	r.With(need(RoleViewer)).Get("/devices/{id}/readings", s.readings)
	r.With(need(RoleViewer)).Get("/devices/{id}/limits", s.deviceLimits)
	r.With(need(RoleEngineer)).Post("/devices/{id}/maintenance", s.recordMaintenance)
	r.With(need(RoleViewer)).Get("/devices/{id}/functional", s.functionalHistory)
	r.With(need(RoleEngineer)).Post("/devices/{id}/functional", s.recordFunctional)
	r.With(need(RoleViewer)).Get("/devices/{id}/stock", s.stockHistory)
	r.With(need(RoleEngineer)).Post("/devices/{id}/stock", s.recordStock)
	r.With(need(RoleViewer)).Get("/maintenance/due", s.maintenanceDue)
	r.With(need(RoleEngineer)).Post("/maintenance/import", s.importService)

	r.With(need(RoleViewer)).Get("/facilities", s.listFacilities)
	r.With(need(RoleAdmin)).Post("/facilities/import", s.importFacilities)
	r.With(need(RoleViewer)).Get("/facilities/{id}", s.getFacility)
	r.With(need(RoleAdmin)).Put("/facilities/{id}", s.putFacility)

	r.With(need(RoleViewer)).Get("/alerts", s.listAlerts)
	r.With(need(RoleViewer)).Get("/alerts/{id}", s.getAlert)
	r.With(need(RoleEngineer)).Post("/alerts/{id}/ack", s.ackAlert)
	r.With(need(RoleEngineer)).Post("/alerts/{id}/work-order", s.alertWorkOrder)
	r.With(need(RoleViewer)).Get("/work-orders", s.listWorkOrders)
	r.With(need(RoleEngineer)).Post("/work-orders", s.openWorkOrder)
	r.With(need(RoleViewer)).Get("/work-orders/{id}", s.getWorkOrder)
	r.With(need(RoleEngineer)).Post("/work-orders/{id}/close", s.closeWorkOrder)
	r.With(need(RoleViewer)).Get("/silences", s.listSilences)
	r.With(need(RoleEngineer)).Post("/silences", s.createSilence)
	r.With(need(RoleEngineer)).Delete("/silences/{id}", s.deleteSilence)
	r.With(need(RoleEngineer)).Post("/silences/{id}/end", s.endSilence)

	r.With(need(RoleEngineer)).Get("/contacts", s.listContacts)
	r.With(need(RoleAdmin)).Post("/contacts", s.createContact)
	r.With(need(RoleEngineer)).Get("/contacts/{id}", s.getContact)
	r.With(need(RoleAdmin)).Put("/contacts/{id}", s.updateContact)
	r.With(need(RoleAdmin)).Delete("/contacts/{id}", s.deleteContact)
	r.With(need(RoleEngineer)).Get("/deliveries", s.listDeliveries)

	r.With(need(RoleViewer)).Get("/reports/uptime", s.uptimeReport)
	r.With(need(RoleViewer)).Get("/supply", s.supplyReport)
	r.With(need(RoleViewer)).Get("/reports/repairs", s.repairsReport)

	r.With(needUnlimited(RoleAdmin)).Get("/tokens", s.listTokens)
	r.With(needUnlimited(RoleAdmin)).Post("/tokens", s.createToken)
	r.With(needUnlimited(RoleAdmin)).Delete("/tokens/{id}", s.revokeToken)
	r.With(needUnlimited(RoleAdmin)).Get("/audit", s.listAudit)
	r.With(needUnlimited(RoleAdmin)).Get("/device-tokens", s.listDeviceTokens)
	r.With(needUnlimited(RoleAdmin)).Post("/device-tokens", s.createDeviceToken)
	r.With(needUnlimited(RoleAdmin)).Delete("/device-tokens/{id}", s.revokeDeviceToken)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
