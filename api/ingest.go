package api

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// HTTP ingest (issue 19): devices without MQTT post the readings they
// would publish on o2/DEVICE/telemetry, authenticated by a device token
// (store.DeviceTokens), not an API token. The application implements
// Ingest with the ingester, so the answer is 2xx only once the readings
// are durable in the buffer, exactly as an MQTT acknowledgement.

// Limits of HTTP ingest. One device's payload has the MQTT limit (CONTRACT
// §3: 64 KiB, at most 1000 readings); a batch carries at most
// MaxIngestBatchDevices of them in at most MaxIngestBatchBytes.
const (
	MaxIngestPayloadBytes = 64 << 10
	MaxIngestBatchBytes   = 1 << 20
	MaxIngestBatchDevices = 100
)

// Ingest takes device telemetry posted over HTTP.
type Ingest interface {
	// Ingest decodes payload (one CONTRACT §3 reading or a backlog array)
	// of device with the MQTT decoder and returns once its accepted
	// readings are durable. err is not nil only when they could not be
	// made durable (disk full): nothing may be acknowledged then.
	Ingest(ctx context.Context, device plant.DeviceID, payload []byte) (IngestResult, error)
}

// IngestResult is the answer for one device's payload.
type IngestResult struct {
	Device   plant.DeviceID `json:"device,omitempty"`
	Accepted int            `json:"accepted"`
	Rejected int            `json:"rejected"`
	// Errors says why each rejected reading was rejected; Index is its
	// position in the array (0 for a single reading, -1 for the payload).
	Errors []IngestError `json:"errors"`
}

// IngestError is one rejected reading, with the reason counted in
// oxywatch_ingest_rejected_total{reason}: Reason is the stable code to
// match on. Ingest returns the ingester's own line (English, technical) in
// Technical (a Detail without Technical is taken as that line) and the API
// answers it there; Detail says the reason in the reader's language, in the
// words the dashboard has for it.
type IngestError struct {
	Index     int    `json:"index"`
	Reason    string `json:"reason"`
	Detail    string `json:"detail"`
	Technical string `json:"technical,omitempty"`
}

// in is e as a reader of l is answered: the reason in l's words in Detail,
// the ingester's line in Technical.
func (e IngestError) in(l i18n.Lang) IngestError {
	if e.Technical == "" {
		e.Technical = e.Detail
	}
	e.Detail = rejectionReason(e.Reason).In(l)
	return e
}

// field is e as the field error of a payload refused whole.
func (e IngestError) field() FieldError {
	r := rejectionReason(e.Reason)
	return FieldError{Field: ingestField(e.Index), Code: e.Reason, Detail: r.Error(), Technical: cmp.Or(e.Technical, e.Detail), err: r}
}

// rejectionReason is an ingest rejection reason as an error said in the
// reader's words (i18n.InputError); a reason without words is its code.
type rejectionReason string

func (r rejectionReason) Error() string { return r.In(i18n.English) }

func (r rejectionReason) In(l i18n.Lang) string {
	if text, ok := i18n.InputError(l, string(r)); ok {
		return text
	}
	return string(r)
}

// in is res with each rejection said for a reader of l.
func (res IngestResult) in(l i18n.Lang) IngestResult {
	errs := make([]IngestError, len(res.Errors))
	for i, e := range res.Errors {
		errs[i] = e.in(l)
	}
	res.Errors = errs
	return res
}

// tooBig reports whether the whole payload was refused for its size.
func (r IngestResult) tooBig() bool {
	for _, e := range r.Errors {
		if e.Index < 0 && e.Reason == "too_big" {
			return true
		}
	}
	return false
}

// IngestBatch is the body of POST /api/v1/ingest: readings of several
// devices, e.g. from a gateway, each entry naming its device.
type IngestBatch struct {
	Devices []IngestBatchEntry `json:"devices"`
}

// IngestBatchEntry is one device's part of a batch: Readings is what the
// device would publish on o2/DEVICE/telemetry (an object or an array).
type IngestBatchEntry struct {
	Device   plant.DeviceID  `json:"device"`
	Readings json.RawMessage `json:"readings"`
}

// IngestBatchResult is the answer of POST /api/v1/ingest.
type IngestBatchResult struct {
	Accepted int            `json:"accepted"`
	Rejected int            `json:"rejected"`
	Devices  []IngestResult `json:"devices"`
}

// newIngestRequests counts HTTP ingest requests by outcome.
func newIngestRequests(reg prometheus.Registerer) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "oxywatch_http_ingest_requests_total",
		Help: "HTTP ingest requests (POST /api/v1/ingest...), by result: ok, partial (some readings rejected), rejected (400), too_big, bad_batch, unauthorized, forbidden, rate_limited, unavailable (not durable, 503).",
	}, []string{"result"})
	for _, r := range []string{"ok", "partial", "rejected", "too_big", "bad_batch", "unauthorized", "forbidden", "rate_limited", "unavailable"} {
		c.WithLabelValues(r)
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			c = are.ExistingCollector.(*prometheus.CounterVec)
		}
	}
	return c
}

// ingestRoutes mounts the ingest routes outside the API token group: they
// take device tokens.
func (s *server) ingestRoutes(r chi.Router) {
	r.With(s.timeout).Post("/api/v1/ingest/{device}", s.ingestOne)
	r.With(s.timeout).Post("/api/v1/ingest", s.ingestBatch)
}

// deviceToken authenticates a device token, answering 401 or 429 itself.
func (s *server) deviceToken(w http.ResponseWriter, r *http.Request) (store.DeviceToken, bool) {
	secret, ok := bearer(r)
	if !ok {
		s.ingestReq.WithLabelValues("unauthorized").Inc()
		s.logins.failures.WithLabelValues("missing_token").Inc()
		w.Header().Set("WWW-Authenticate", `Bearer realm="oxywatch-ingest"`)
		problemT(w, r, http.StatusUnauthorized, "api.missing_device_token")
		return store.DeviceToken{}, false
	}
	addr := clientAddr(r)
	if s.refuseLimited(w, r, addr) {
		s.ingestReq.WithLabelValues("rate_limited").Inc()
		return store.DeviceToken{}, false
	}
	tok, ok := s.opt.DeviceTokens.Lookup(secret)
	if !ok {
		s.ingestReq.WithLabelValues("unauthorized").Inc()
		s.logins.failures.WithLabelValues("invalid_token").Inc()
		s.logins.failed(addr)
		w.Header().Set("WWW-Authenticate", `Bearer realm="oxywatch-ingest", error="invalid_token"`)
		problemT(w, r, http.StatusUnauthorized, "api.unknown_device_token")
		return store.DeviceToken{}, false
	}
	if h, _ := r.Context().Value(holderKey{}).(*principalHolder); h != nil {
		h.p = &Principal{ID: tok.ID, Name: "device token"} // the request log names the token id, never the secret
	}
	return tok, true
}

// ingestReady answers 501 when HTTP ingest is not wired.
func (s *server) ingestReady(w http.ResponseWriter, r *http.Request) bool {
	if s.opt.Ingest == nil || s.opt.DeviceTokens == nil {
		notConfigured(w, r, "api.part.http_ingest")
		return false
	}
	return true
}

// allowDevices takes one request from each device's rate limit.
func (s *server) allowDevices(w http.ResponseWriter, r *http.Request, devs []plant.DeviceID) bool {
	for _, d := range devs {
		if ok, wait := s.ingestLimit.allow(string(d)); !ok {
			s.ingestReq.WithLabelValues("rate_limited").Inc()
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			problemT(w, r, http.StatusTooManyRequests, "api.device_rate_limited", d, s.opt.IngestRate, s.opt.IngestBurst)
			return false
		}
	}
	return true
}

// ingestOne is POST /api/v1/ingest/{device}.
func (s *server) ingestOne(w http.ResponseWriter, r *http.Request) {
	if !s.ingestReady(w, r) {
		return
	}
	dev := plant.DeviceID(chi.URLParam(r, "device"))
	tok, ok := s.deviceToken(w, r)
	if !ok {
		return
	}
	if !plant.ValidDeviceID(string(dev)) {
		s.ingestReq.WithLabelValues("rejected").Inc()
		problemT(w, r, http.StatusBadRequest, "api.bad_device_id", dev)
		return
	}
	if !tok.Covers(dev) {
		s.ingestReq.WithLabelValues("forbidden").Inc()
		problemT(w, r, http.StatusForbidden, "api.token_not_for_device", dev)
		return
	}
	if !s.allowDevices(w, r, []plant.DeviceID{dev}) {
		return
	}
	// Read one byte past the limit: the ingester then rejects the payload
	// as too_big, counted and recorded for the device as over MQTT.
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxIngestPayloadBytes+1))
	if err != nil {
		s.ingestReq.WithLabelValues("rejected").Inc()
		problemT(w, r, http.StatusBadRequest, "api.read_body", err)
		return
	}
	res, err := s.opt.Ingest.Ingest(r.Context(), dev, body)
	if err != nil {
		s.notDurable(w, r, err)
		return
	}
	res.Device = ""
	s.answerIngest(w, r, res)
}

// answerIngest answers for one device's payload: 413 when it was too big,
// 400 with the reasons when nothing was accepted, else 200 with the counts.
func (s *server) answerIngest(w http.ResponseWriter, r *http.Request, res IngestResult) {
	switch {
	case res.tooBig():
		s.ingestReq.WithLabelValues("too_big").Inc()
		problemT(w, r, http.StatusRequestEntityTooLarge, "api.payload_too_big", MaxIngestPayloadBytes)
	case res.Accepted == 0 && res.Rejected > 0:
		s.ingestReq.WithLabelValues("rejected").Inc()
		errs := make([]FieldError, len(res.Errors))
		for i, e := range res.Errors {
			errs[i] = e.field()
		}
		answerRefused(w, r, http.StatusBadRequest, errs)
	default:
		result := "ok"
		if res.Rejected > 0 {
			result = "partial"
		}
		s.ingestReq.WithLabelValues(result).Inc()
		writeSaid(w, http.StatusOK, res.in(requestLang(r)))
	}
}

// answerRefused answers a payload or batch refused whole: each field error
// names its reason (code) in the reader's words, and the problem's detail
// is the first one's.
func answerRefused(w http.ResponseWriter, r *http.Request, status int, errs []FieldError) {
	detail := ""
	if len(errs) > 0 {
		detail = errs[0].in(requestLang(r)).Detail
	}
	problem(w, r, status, detail, errs...)
}

// writeSaid is writeJSON for an answer in the reader's language.
func writeSaid(w http.ResponseWriter, status int, v any) {
	w.Header().Add("Vary", "Accept-Language")
	writeJSON(w, status, v)
}

func ingestField(index int) string {
	if index < 0 {
		return "body"
	}
	return "readings[" + strconv.Itoa(index) + "]"
}

// notDurable answers 503 with Retry-After: the readings were not made
// durable and the device must send them again.
func (s *server) notDurable(w http.ResponseWriter, r *http.Request, err error) {
	s.ingestReq.WithLabelValues("unavailable").Inc()
	s.log.Error("HTTP ingest: readings could not be made durable; the device was told to retry", "path", r.URL.Path, "err", err)
	w.Header().Set("Retry-After", "30")
	problemT(w, r, http.StatusServiceUnavailable, "api.not_durable")
}

// ingestBatch is POST /api/v1/ingest.
func (s *server) ingestBatch(w http.ResponseWriter, r *http.Request) {
	if !s.ingestReady(w, r) {
		return
	}
	tok, ok := s.deviceToken(w, r)
	if !ok {
		return
	}
	batch, status, err := readIngestBatch(io.LimitReader(r.Body, MaxIngestBatchBytes+1))
	if err != nil {
		result := "bad_batch"
		if status == http.StatusRequestEntityTooLarge {
			result = "too_big"
		}
		s.ingestReq.WithLabelValues(result).Inc()
		var refused invalidFields
		if errors.As(err, &refused) {
			answerRefused(w, r, status, refused)
			return
		}
		problemErr(w, r, status, err)
		return
	}
	devs := make([]plant.DeviceID, len(batch.Devices))
	for i, e := range batch.Devices {
		if !tok.Covers(e.Device) {
			s.ingestReq.WithLabelValues("forbidden").Inc()
			problemT(w, r, http.StatusForbidden, "api.batch_token_not_for_device", strconv.Itoa(i), e.Device)
			return
		}
		devs[i] = e.Device
	}
	if !s.allowDevices(w, r, uniqueDevices(devs)) {
		return
	}
	l := requestLang(r)
	out := IngestBatchResult{Devices: make([]IngestResult, 0, len(batch.Devices))}
	for _, e := range batch.Devices {
		res, err := s.opt.Ingest.Ingest(r.Context(), e.Device, e.Readings)
		if err != nil {
			s.notDurable(w, r, err)
			return
		}
		res.Device = e.Device
		out.Accepted += res.Accepted
		out.Rejected += res.Rejected
		out.Devices = append(out.Devices, res.in(l))
	}
	result := "ok"
	status = http.StatusOK
	switch {
	case out.Accepted == 0 && out.Rejected > 0:
		result, status = "rejected", http.StatusBadRequest
	case out.Rejected > 0:
		result = "partial"
	}
	s.ingestReq.WithLabelValues(result).Inc()
	// A batch that was wholly rejected still answers with the per-device
	// reasons, so a gateway can log which device sent what.
	writeSaid(w, status, out)
}

// readIngestBatch parses a batch body, with the status to answer when it
// is not one.
func readIngestBatch(body io.Reader) (IngestBatch, int, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return IngestBatch{}, http.StatusBadRequest, i18n.Errorf("api.read_body", err)
	}
	return parseIngestBatch(b)
}

// parseIngestBatch reads {"devices": [{"device": ID, "readings": ...}]}.
// Each entry's readings stay raw bytes for the ingester's decoder. A batch
// refused whole is an invalidFields naming where, its code the ingester's
// rejection reason (too_big, not_json, no_values, bad_device_id).
func parseIngestBatch(b []byte) (IngestBatch, int, error) {
	var batch IngestBatch
	refuse := func(status int, field, key string, args ...any) (IngestBatch, int, error) {
		return batch, status, invalidFields{fieldErr(field, key, args...)}
	}
	if len(b) > MaxIngestBatchBytes {
		return refuse(http.StatusRequestEntityTooLarge, "body", "field.too_big.batch_bytes", MaxIngestBatchBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&batch); err != nil {
		fe := fieldErr("body", "field.not_json.batch")
		fe.Technical = clipText(err.Error(), 200) // the JSON decoder's words
		return batch, http.StatusBadRequest, invalidFields{fe}
	}
	if _, err := dec.Token(); err != io.EOF {
		return refuse(http.StatusBadRequest, "body", "field.not_json.trailing")
	}
	if len(batch.Devices) == 0 {
		return refuse(http.StatusBadRequest, "devices", "field.no_values.devices")
	}
	if len(batch.Devices) > MaxIngestBatchDevices {
		return refuse(http.StatusRequestEntityTooLarge, "devices", "field.too_big.batch_entries", MaxIngestBatchDevices, len(batch.Devices))
	}
	for i, e := range batch.Devices {
		if !plant.ValidDeviceID(string(e.Device)) {
			return refuse(http.StatusBadRequest, "devices["+strconv.Itoa(i)+"].device", "field.bad_device_id.pattern", clipText(string(e.Device), 70))
		}
		if len(e.Readings) == 0 {
			return refuse(http.StatusBadRequest, "devices["+strconv.Itoa(i)+"].readings", "field.no_values.readings")
		}
	}
	return batch, 0, nil
}

func uniqueDevices(devs []plant.DeviceID) []plant.DeviceID {
	seen := make(map[plant.DeviceID]bool, len(devs))
	out := devs[:0:0]
	for _, d := range devs {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// clipText shortens s to n bytes for an error message.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
