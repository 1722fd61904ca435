package api

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

var testNow = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// fixture is a server over a real SQLite registry, token store and audit
// log, a real ingest fleet, and fakes for the components still in flux.
type fixture struct {
	t        testing.TB
	h        http.Handler
	opt      Options
	db       *sql.DB
	reg      *store.Registry
	fleet    *ingest.Fleet
	alerts   *fakeAlerts
	silences *fakeSilences
	maint    *fakeMaintenance
	contacts *fakeContacts
	reports  *fakeReports
	readings *fakeReadings
	logs     *syncBuffer
	tok      map[string]string // role name → secret
	tokIDs   map[string]string
}

const configAdmin = "config-admin-secret-0123456789abcdef"

// tokenNames are the fixture's tokens: plain roles and north-limited ones.
var tokenNames = []string{"viewer", "engineer", "admin", "north-viewer", "north-engineer", "north-admin"}

func newFixture(t testing.TB, tweak ...func(*Options)) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{t: t, db: db, fleet: ingest.NewFleet(), alerts: newFakeAlerts(), silences: &fakeSilences{},
		maint: &fakeMaintenance{}, contacts: newFakeContacts(), reports: &fakeReports{}, readings: &fakeReadings{},
		logs: &syncBuffer{}, tok: map[string]string{}, tokIDs: map[string]string{}}
	f.alerts.db, f.silences.db, f.maint.db, f.contacts.db = db, db, db, db
	clock := func() time.Time { return testNow }
	if f.reg, err = store.OpenRegistry(ctx, db, clock); err != nil {
		t.Fatal(err)
	}
	toks, err := store.OpenTokens(ctx, db, clock)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := store.OpenAudit(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range tokenNames {
		role, regions := name, []string(nil)
		if r, ok := strings.CutPrefix(name, "north-"); ok {
			role, regions = r, []string{"north"}
		}
		secret, tok, err := toks.Create(ctx, name, role, regions, "test")
		if err != nil {
			t.Fatal(err)
		}
		f.tok[name], f.tokIDs[name] = secret, tok.ID
	}
	devToks, err := store.OpenDeviceTokens(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.seed()
	f.opt = Options{
		Gatherer: prometheus.NewRegistry(), Ready: func(context.Context) error { return nil },
		Logger: slog.New(slog.NewJSONHandler(f.logs, nil)),
		Tokens: toks, AdminToken: configAdmin, Audit: audit,
		Registry: f.reg, Live: f.fleet, Readings: f.readings, Alerts: f.alerts, Silences: f.silences,
		Maintenance: f.maint, Contacts: f.contacts, Deliveries: fakeDeliveries, Reports: f.reports,
		Status: fakeStatus, Now: clock, RateLimit: -1, DeviceTokens: devToks,
		Limits: engineLimits(t, db), // a real alerting engine with fixtureRules
	}
	for _, fn := range tweak {
		fn(&f.opt)
	}
	f.silences.now = f.opt.Now
	f.h = New(f.opt)
	return f
}

func (f *fixture) seed() {
	ctx := context.Background()
	for _, fac := range []plant.Facility{
		{ID: "f-north", Name: "North Referral", Region: "north", Country: "UG", Beds: 120},
		{ID: "f-south", Name: "South District", Region: "south", Country: "UG", Beds: 60},
	} {
		if err := f.reg.PutFacility(ctx, fac); err != nil {
			f.t.Fatal(err)
		}
	}
	devs := []plant.Device{
		{ID: "n-psa-1", Kind: plant.KindPSA, Facility: "f-north", Region: "north", Country: "UG", RatedFlowLPM: 500, ReportIntervalS: 60},
		{ID: "n-con-2", Kind: plant.KindConcentrator, Facility: "f-north", Region: "north", Country: "UG", RatedFlowLPM: 10},
		{ID: "s-psa-1", Kind: plant.KindPSA, Facility: "f-south", Region: "south", Country: "UG", RatedFlowLPM: 250},
	}
	for _, d := range devs {
		if _, err := f.reg.Put(ctx, d); err != nil {
			f.t.Fatal(err)
		}
	}
	f.reading("n-psa-1", plant.StateFault, 71)
	f.reading("n-con-2", plant.StateRunning, 93)
	f.reading("s-psa-1", plant.StateRunning, 94)
	f.alerts.add(plant.Alert{Rule: "device_fault", Device: "n-psa-1", Facility: "f-north", Region: "north", Severity: plant.SeverityCritical, State: plant.AlertFiring, StartedAt: testNow.Add(-time.Hour), Summary: "n-psa-1 reports fault"})
	f.alerts.add(plant.Alert{Rule: "low_purity", Device: "s-psa-1", Facility: "f-south", Region: "south", Severity: plant.SeverityWarning, State: plant.AlertFiring, StartedAt: testNow.Add(-time.Hour), Summary: "s-psa-1 purity 88 %"})
	f.alerts.add(plant.Alert{Rule: "offline", Device: "n-con-2", Facility: "f-north", Region: "north", Severity: plant.SeverityCritical, State: plant.AlertResolved, StartedAt: testNow.Add(-5 * time.Hour), ResolvedAt: testNow.Add(-4 * time.Hour), Summary: "n-con-2 offline"})
	f.silences.list = []Silence{
		{ID: 1, Region: "north", Comment: "generator works", StartsAt: testNow.Add(-time.Hour), EndsAt: testNow.Add(time.Hour)},
		{ID: 2, Device: "s-psa-1", Comment: "sieve change", Maintenance: true, StartsAt: testNow.Add(-time.Hour), EndsAt: testNow.Add(time.Hour)},
		{ID: 3, Rule: "offline", Comment: "network outage everywhere", StartsAt: testNow.Add(-time.Hour), EndsAt: testNow.Add(time.Hour)},
	}
	f.maint.due = []MaintenanceDue{
		{Device: "n-psa-1", Facility: "f-north", Region: "north", Component: "filter", RuntimeH: 4500, IntervalH: 4380},
		{Device: "s-psa-1", Facility: "f-south", Region: "south", Component: "compressor", RuntimeH: 3900, IntervalH: 4000},
	}
	f.contacts.add(Contact{Name: "Grace (north)", Phone: "+256772000001", Regions: []string{"north"}, Facilities: []string{}})
	f.contacts.add(Contact{Name: "Peter (south)", Phone: "+256772000002", Regions: []string{"south"}, Facilities: []string{}})
	f.contacts.add(Contact{Name: "Ministry desk", Email: "o2@health.example", Regions: []string{}, Facilities: []string{}})
}

func (f *fixture) reading(id plant.DeviceID, state plant.State, purity float64) {
	r := plant.Reading{Device: id, Time: testNow.Add(-30 * time.Second), State: state, Power: plant.PowerMains,
		Values: plant.Values{Purity: plant.Float(purity), Pressure: plant.Float(4.5), Flow: plant.Float(300)}}
	f.fleet.Reading(&r, testNow.Add(-30*time.Second))
}

// do sends a request as the named token ("" = none; anything not a fixture
// token name is sent as the raw secret).
func (f *fixture) do(who, method, path string, body any) *httptest.ResponseRecorder {
	f.t.Helper()
	return f.doIn("", who, method, path, body)
}

// doIn is do with the Accept-Language acceptLanguage ("" = none).
func (f *fixture) doIn(acceptLanguage, who, method, path string, body any) *httptest.ResponseRecorder {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req := httptest.NewRequest(method, path, rd)
	if who != "" {
		secret, ok := f.tok[who]
		if !ok {
			secret = who
		}
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

// ok sends a request and decodes a 2xx JSON answer into out.
func (f *fixture) ok(who, method, path string, body, out any) {
	f.t.Helper()
	rec := f.do(who, method, path, body)
	if rec.Code/100 != 2 {
		f.t.Fatalf("%s %s as %s: got %d %s, want 2xx", method, path, who, rec.Code, rec.Body)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			f.t.Fatalf("%s %s: %v in %s", method, path, err, rec.Body)
		}
	}
}

// wantProblem checks a problem+json answer with the status.
func wantProblem(t testing.TB, rec *httptest.ResponseRecorder, status int) Problem {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("got status %d (%s), want %d", rec.Code, rec.Body, status)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("got content type %q, want application/problem+json", ct)
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body %q: %v", rec.Body, err)
	}
	if p.Status != status || p.Title == "" || p.Type == "" {
		t.Fatalf("got problem %+v, want status %d with type and title", p, status)
	}
	return p
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Fakes of the components the API reads through interfaces. Those that
// change things write the audit entry the context carries in the fixture's
// database first, as the real stores do in the change's transaction: a
// failed entry means no change.

// auditIn writes ctx's audit entry (none: nothing) in db.
func auditIn(ctx context.Context, db *sql.DB, target string) error {
	if db == nil {
		return nil
	}
	return store.InTx(ctx, db, func(*sql.Tx) (string, error) { return target, nil })
}

type fakeAlerts struct {
	mu    sync.Mutex
	list  []plant.Alert
	seen  AlertFilter
	onAck func() // called while acknowledging, when set
	db    *sql.DB
}

func newFakeAlerts() *fakeAlerts { return &fakeAlerts{} }

func (a *fakeAlerts) add(x plant.Alert) {
	a.mu.Lock()
	defer a.mu.Unlock()
	x.ID = int64(len(a.list) + 1)
	a.list = append(a.list, x)
}

func (a *fakeAlerts) List(_ context.Context, f AlertFilter) ([]plant.Alert, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen = f
	return slices.Clone(a.list), nil // filtering is left to the API on purpose
}

func (a *fakeAlerts) Get(_ context.Context, id int64) (plant.Alert, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, x := range a.list {
		if x.ID == id {
			return x, nil
		}
	}
	return plant.Alert{}, fmt.Errorf("alert %d: %w", id, ErrNotFound)
}

func (a *fakeAlerts) Ack(ctx context.Context, id int64, by, note string) (plant.Alert, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.onAck != nil {
		a.onAck()
	}
	if err := auditIn(context.WithoutCancel(ctx), a.db, ""); err != nil { // the engine's writer: not the request's
		return plant.Alert{}, err
	}
	for i, x := range a.list {
		if x.ID == id {
			x.State, x.AckedBy, x.AckNote, x.AckedAt = plant.AlertAcknowledged, by, note, testNow
			a.list[i] = x
			return x, nil
		}
	}
	return plant.Alert{}, ErrNotFound
}

type fakeSilences struct {
	mu   sync.Mutex
	list []Silence
	db   *sql.DB
	now  func() time.Time // the fixture's clock
}

func (s *fakeSilences) List(context.Context) ([]Silence, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.list), nil
}

func (s *fakeSilences) Create(ctx context.Context, x Silence) (Silence, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x.ID = int64(len(s.list) + 10)
	if err := auditIn(ctx, s.db, itoa(x.ID)); err != nil {
		return Silence{}, err
	}
	s.list = append(s.list, x)
	return x, nil
}

func (s *fakeSilences) Delete(ctx context.Context, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.list, func(x Silence) bool { return x.ID == id })
	if i < 0 {
		return ErrNotFound
	}
	if err := auditIn(ctx, s.db, ""); err != nil {
		return err
	}
	s.list = slices.Delete(s.list, i, i+1)
	return nil
}

// End behaves as the engine: a silence not started is deleted, a running
// one ends now and is kept, an ended one is a conflict.
func (s *fakeSilences) End(ctx context.Context, id int64) (Silence, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.list, func(x Silence) bool { return x.ID == id })
	switch {
	case i < 0:
		return Silence{}, false, ErrNotFound
	case !s.list[i].EndsAt.After(s.now()):
		return Silence{}, false, fmt.Errorf("silence %d already ended: %w", id, ErrConflict)
	}
	if err := auditIn(ctx, s.db, ""); err != nil {
		return Silence{}, false, err
	}
	if !s.list[i].StartsAt.Before(s.now()) {
		s.list = slices.Delete(s.list, i, i+1)
		return Silence{}, false, nil
	}
	s.list[i].EndsAt = s.now()
	return s.list[i], true, nil
}

type fakeMaintenance struct {
	mu       sync.Mutex
	due      []MaintenanceDue
	records  []plant.ServiceRecord
	db       *sql.DB
	held     int   // records made in a held context
	releases []int // records held at each release
}

type heldKey struct{}

// Hold counts the records made in ctx and what each release saw.
func (m *fakeMaintenance) Hold(ctx context.Context) (context.Context, func(context.Context) error) {
	return context.WithValue(ctx, heldKey{}, true), func(context.Context) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.releases = append(m.releases, m.held)
		return nil
	}
}

func (m *fakeMaintenance) Record(ctx context.Context, r plant.ServiceRecord) (plant.ServiceRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := auditIn(ctx, m.db, ""); err != nil {
		return r, err
	}
	if ctx.Value(heldKey{}) != nil {
		m.held++
	}
	r.ID = int64(len(m.records) + 1)
	m.records = append(m.records, r)
	return r, nil
}

func (m *fakeMaintenance) Due(context.Context) ([]MaintenanceDue, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.due), nil
}

type fakeContacts struct {
	mu   sync.Mutex
	list []Contact
	db   *sql.DB
}

func newFakeContacts() *fakeContacts { return &fakeContacts{} }

func (c *fakeContacts) add(x Contact) {
	x.ID = int64(len(c.list) + 1)
	c.list = append(c.list, x)
}

func (c *fakeContacts) List(context.Context) ([]Contact, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.list), nil
}

func (c *fakeContacts) Get(_ context.Context, id int64) (Contact, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, x := range c.list {
		if x.ID == id {
			return x, nil
		}
	}
	return Contact{}, ErrNotFound
}

func (c *fakeContacts) Create(ctx context.Context, x Contact) (Contact, error) {
	if x.Name == "" || (x.Phone == "" && x.Email == "") {
		return Contact{}, fmt.Errorf("%w contact: name and phone or email are required", ErrInvalid)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := auditIn(ctx, c.db, itoa(int64(len(c.list)+1))); err != nil {
		return Contact{}, err
	}
	c.add(x)
	return c.list[len(c.list)-1], nil
}

func (c *fakeContacts) Update(ctx context.Context, x Contact) (Contact, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.list {
		if c.list[i].ID == x.ID {
			if err := auditIn(ctx, c.db, ""); err != nil {
				return Contact{}, err
			}
			c.list[i] = x
			return x, nil
		}
	}
	return Contact{}, ErrNotFound
}

func (c *fakeContacts) Delete(ctx context.Context, id int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := slices.IndexFunc(c.list, func(x Contact) bool { return x.ID == id })
	if i < 0 {
		return ErrNotFound
	}
	if err := auditIn(ctx, c.db, ""); err != nil {
		return err
	}
	c.list = slices.Delete(c.list, i, i+1)
	return nil
}

func fakeDeliveries(_ context.Context, f DeliveryFilter) ([]Delivery, error) {
	all := []Delivery{
		{ID: 3, AlertID: 2, Event: "firing", Facility: "f-south", Recipient: "Peter", Channel: "sms", Address: "+256772000002", State: "sent"},
		{ID: 2, AlertID: 1, Event: "firing", Facility: "f-north", Recipient: "Grace", Channel: "sms", Address: "+256772000001", State: "sent"},
		{ID: 1, AlertID: 1, Event: "firing", Facility: "f-north", Recipient: "Grace", Channel: "email", Address: "g@example.org", State: "failed"},
	}
	var out []Delivery
	for _, d := range all {
		if (f.BeforeID == 0 || d.ID < f.BeforeID) && (f.Facility == "" || d.Facility == f.Facility) && len(out) < f.Limit {
			out = append(out, d)
		}
	}
	return out, nil
}

// fakeReports answers rows of the regions asked for, or of every region
// when leak is set (an adapter bug the API must catch).
type fakeReports struct {
	mu   sync.Mutex
	seen []ReportQuery
	leak bool
}

type fakeReport struct{ rows []map[string]any }

func (r fakeReport) WriteJSON(w io.Writer) error {
	return json.NewEncoder(w).Encode(map[string]any{"items": r.rows})
}

func (r fakeReport) WriteCSV(w io.Writer) error {
	fmt.Fprintln(w, "key,region,uptime_pct")
	for _, row := range r.rows {
		fmt.Fprintf(w, "%s,%s,%v\n", row["key"], row["region"], row["uptime_pct"])
	}
	return nil
}

func (r fakeReport) WriteHTML(w io.Writer) error {
	fmt.Fprint(w, "<!doctype html><table>")
	for _, row := range r.rows {
		fmt.Fprintf(w, "<tr><td>%s</td><td>%s</td></tr>", row["key"], row["region"])
	}
	_, err := fmt.Fprint(w, "</table>")
	return err
}

func (f *fakeReports) rows(q ReportQuery) (Report, error) {
	if q.From == "bad" {
		return nil, fmt.Errorf("%w: from: bad is not a date", ErrInvalid)
	}
	f.mu.Lock()
	f.seen = append(f.seen, q)
	f.mu.Unlock()
	var rows []map[string]any
	for _, reg := range []string{"north", "south"} {
		if f.leak || q.Regions == nil || slices.Contains(q.Regions, reg) {
			rows = append(rows, map[string]any{"key": "f-" + reg, "region": reg, "uptime_pct": 97.5})
		}
	}
	return fakeReport{rows: rows}, nil
}

func (f *fakeReports) Uptime(_ context.Context, q ReportQuery) (Report, error) { return f.rows(q) }
func (f *fakeReports) Supply(_ context.Context, q ReportQuery) (Report, error) { return f.rows(q) }

type fakeReadings struct {
	mu   sync.Mutex
	seen []ReadingsQuery
	err  error
}

func (f *fakeReadings) Readings(_ context.Context, q ReadingsQuery) ([]Point, error) {
	f.mu.Lock()
	f.seen = append(f.seen, q)
	f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	var out []Point
	for i, t := 0, q.From; t.Before(q.To) && i < 300; i, t = i+1, t.Add(q.Every) {
		if i > 200 && i < 230 {
			continue // a gap, drawn as a break in the line
		}
		out = append(out, Point{Time: t, Values: map[string]float64{"purity_pct": 93 - float64(i%40)/10, "pressure_bar": 4.5 + float64(i%7)/10, "flow_lpm": 250 + float64(i%25)}})
	}
	return out, nil
}

var errBoom = errors.New("boom: database on fire")

// fakeStatus stands in for the alerting engine's status: it reads the
// newest reading's state and a 90 % purity spec, and calls a device silent
// for 3 minutes no_data.
func fakeStatus(_ plant.Device, st ingest.DeviceState, ok bool, now time.Time) plant.Status {
	r := st.LastReading
	switch {
	case !ok || r == nil || now.Sub(st.LastSeen) > 3*time.Minute:
		return plant.StatusNoData
	case r.State == plant.StateFault || r.State == plant.StateOff:
		return plant.StatusDown
	case r.State == plant.StateMaintenance:
		return plant.StatusMaintenance
	case r.Purity != nil && *r.Purity < 90:
		return plant.StatusDegraded
	}
	return plant.StatusOperational
}
