// Package ingest receives device telemetry over MQTT, validates it, makes it
// durable in the local buffer before the message is acknowledged, and hands
// it on to the store and to alerting.
package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/ingest/buffer"
	"github.com/oxywatch/oxywatch/ingest/mapping"
	"github.com/oxywatch/oxywatch/ingest/sparkplug"
	"github.com/oxywatch/oxywatch/internal/influx"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// Appender makes encoded readings durable (the buffer).
type Appender interface {
	Append(ctx context.Context, data []byte, lines int, received time.Time) error
}

// AsyncAppender is an Appender that can also tell when data is durable
// instead of making its caller wait (the buffer): told is called once, from
// one goroutine for all appends, in the order of the appends.
type AsyncAppender interface {
	AppendAsync(ctx context.Context, data []byte, lines int, received time.Time, told func(error))
}

// Directory is the device registry as ingest sees it: a fast cached lookup,
// and a way to list a device nobody registered.
type Directory interface {
	Device(id plant.DeviceID) (plant.Device, bool)
	AddUnknown(id plant.DeviceID, seen time.Time)
}

// DeadLetterFunc keeps lines that can never be stored where an operator
// finds them (the buffer's dead-letter file): reason is a short name, detail
// says what was wrong.
type DeadLetterFunc func(reason, detail string, lines []string, at time.Time) error

// Options configure an Ingester.
type Options struct {
	TopicPrefix         string
	Buffer              Appender
	Directory           Directory
	RejectUnknown       bool // refuse telemetry from devices not in the registry
	Consumer            Consumer
	Fleet               *Fleet
	Logger              *slog.Logger
	Registerer          prometheus.Registerer
	Now                 func() time.Time
	LogRejectsPerMinute int // rate limit of rejection log lines
	// DeadLetter keeps readings line protocol cannot carry. By default
	// they go to the buffer's dead-letter file when Buffer has one (see
	// BufferDeadLetters); else they are only logged (and counted as
	// rejected).
	DeadLetter DeadLetterFunc
	// Mappings translate vendor payloads per device model (ingest.mappings);
	// nil reads every payload as CONTRACT §3 says.
	Mappings *mapping.Set
	// Sparkplug, when set, takes the messages under spBv1.0/.
	Sparkplug *sparkplug.Decoder
	// Command publishes a Sparkplug command (a rebirth request) without
	// waiting for it to go out; nil never asks for rebirths.
	Command func(topic string, payload []byte) error
}

// BufferDeadLetters keeps lines in the dead-letter file at path (the
// buffer's, beside the lines InfluxDB refused), where `oxywatch buffer
// replay-dead-letters` finds them.
func BufferDeadLetters(path string) DeadLetterFunc {
	return func(reason, detail string, lines []string, at time.Time) error {
		dls := make([]buffer.DeadLetter, len(lines))
		for i, l := range lines {
			dls[i] = buffer.DeadLetter{Line: l, Reason: reason, Detail: detail, At: at}
		}
		return buffer.AppendDeadLetters(path, dls)
	}
}

// Ingester turns MQTT messages into durable readings.
type Ingester struct {
	opts Options
	log  *slog.Logger
	m    ingestMetrics
	encs sync.Pool
	rl   rateLimiter
}

type ingestMetrics struct {
	messages    *prometheus.CounterVec
	readings    *prometheus.CounterVec
	rejected    *prometheus.CounterVec
	unknownKeys prometheus.Counter
	unknownWord *prometheus.CounterVec
	sparkplug   *prometheus.CounterVec
	append      prometheus.Histogram
	tagRepairs  *prometheus.CounterVec
	deadLetters prometheus.Counter
}

// New builds an ingester and registers its metrics.
func New(opts Options) *Ingester {
	if opts.TopicPrefix == "" {
		opts.TopicPrefix = "o2"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Fleet == nil {
		opts.Fleet = NewFleet()
	}
	if opts.LogRejectsPerMinute <= 0 {
		opts.LogRejectsPerMinute = 60
	}
	if b, ok := opts.Buffer.(interface{ DeadLetterPath() string }); ok && opts.DeadLetter == nil {
		opts.DeadLetter = BufferDeadLetters(b.DeadLetterPath())
	}
	in := &Ingester{opts: opts, log: opts.Logger.With("component", "ingest")}
	in.encs.New = func() any { return influx.NewEncoder() }
	in.rl = rateLimiter{per: time.Minute, max: opts.LogRejectsPerMinute}
	in.m = ingestMetrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oxywatch_ingest_messages_total", Help: "MQTT messages received, by topic kind (telemetry, status, sparkplug, invalid).",
		}, []string{"topic"}),
		readings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oxywatch_ingest_readings_total", Help: "Readings accepted and made durable, live or backlog.",
		}, []string{"kind"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oxywatch_ingest_rejected_total", Help: "Readings (or whole messages) rejected, by reason.",
		}, []string{"reason"}),
		unknownKeys: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "oxywatch_ingest_unknown_keys_total", Help: "Unknown keys in readings, ignored.",
		}),
		unknownWord: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oxywatch_ingest_unknown_words_total",
			Help: "State or power words that were neither CONTRACT §3 words nor mapped for the device's model: the reading was stored with the value unknown. Map them in the ingest mapping file.",
		}, []string{"field"}),
		sparkplug: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oxywatch_ingest_sparkplug_messages_total",
			Help: "Sparkplug B messages by type (NBIRTH, DBIRTH, NDATA, DDATA, NDEATH, DDEATH, other), and rebirth requests sent (REBIRTH_SENT) or wanted but not sent (REBIRTH_OFF).",
		}, []string{"type"}),
		append: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "oxywatch_ingest_append_seconds", Help: "Time from receiving a message to its readings being durable in the buffer.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		tagRepairs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oxywatch_ingest_tag_repairs_total",
			Help: "Readings stored with a registry value repaired to fit line protocol (newline, control character, invalid UTF-8 or trailing backslash), by tag: fix the device's registry entry.",
		}, []string{"tag"}),
		deadLetters: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "oxywatch_ingest_dead_letter_readings_total",
			Help: "Valid readings line protocol could not carry, kept in the dead-letter file instead of the buffer (rejected as unencodable).",
		}),
	}
	for _, t := range []string{"country", "facility", "kind", "region"} {
		in.m.tagRepairs.WithLabelValues(t)
	}
	for _, f := range []string{"state", "power"} {
		in.m.unknownWord.WithLabelValues(f)
	}
	for _, t := range sparkplugTypes {
		in.m.sparkplug.WithLabelValues(t)
	}
	for _, t := range []string{"telemetry", "status", "invalid", "sparkplug"} {
		in.m.messages.WithLabelValues(t)
	}
	for _, k := range []string{"live", "backlog"} {
		in.m.readings.WithLabelValues(k)
	}
	for _, r := range Reasons {
		in.m.rejected.WithLabelValues(string(r))
	}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(in.m.messages, in.m.readings, in.m.rejected, in.m.unknownKeys, in.m.unknownWord, in.m.sparkplug, in.m.append, in.m.tagRepairs, in.m.deadLetters)
	}
	return in
}

// Fleet returns the per-device tracker.
func (in *Ingester) Fleet() *Fleet { return in.opts.Fleet }

// HandleMessage processes one MQTT message. It returns an error only when the
// message's readings could not be made durable: then the message must not be
// acknowledged. Bad input is counted, recorded and acknowledged.
func (in *Ingester) HandleMessage(ctx context.Context, topic string, payload []byte) error {
	received := in.opts.Now()
	if in.opts.Sparkplug != nil && sparkplug.IsTopic(topic) {
		in.m.messages.WithLabelValues("sparkplug").Inc()
		return in.handleSparkplug(ctx, topic, payload, received)
	}
	dev, kind, rej := ParseTopic(in.opts.TopicPrefix, topic)
	if rej != nil {
		in.m.messages.WithLabelValues("invalid").Inc()
		in.reject(dev, *rej)
		return nil
	}
	if kind == TopicStatus {
		in.m.messages.WithLabelValues("status").Inc()
		return in.handleStatus(dev, payload, received)
	}
	in.m.messages.WithLabelValues("telemetry").Inc()
	return in.handleTelemetry(ctx, dev, payload, received)
}

func (in *Ingester) handleStatus(dev plant.DeviceID, payload []byte, received time.Time) error {
	state, rej := DecodeStatus(payload)
	if rej != nil {
		in.reject(dev, *rej)
		return nil
	}
	in.status(dev, state, received)
	return nil
}

func (in *Ingester) handleTelemetry(ctx context.Context, dev plant.DeviceID, payload []byte, received time.Time) error {
	_, err := in.ingest(ctx, dev, payload, received)
	return err
}

// HandleMessageAsync is HandleMessage for a caller that does not wait for
// the fsync, such as the embedded broker, which goes on reading a device's
// next message meanwhile: done gets what HandleMessage would return, once
// the readings are durable and handed on (or could not be made durable).
// For telemetry on a buffer that can tell (AsyncAppender), done is called
// later from the buffer's goroutine, in the order of the calls, and must
// return quickly; otherwise it is called before HandleMessageAsync returns.
// The payload is not kept after HandleMessageAsync returns.
func (in *Ingester) HandleMessageAsync(ctx context.Context, topic string, payload []byte, done func(error)) {
	aa, ok := in.opts.Buffer.(AsyncAppender)
	if !ok || (in.opts.Sparkplug != nil && sparkplug.IsTopic(topic)) {
		done(in.HandleMessage(ctx, topic, payload))
		return
	}
	dev, kind, rej := ParseTopic(in.opts.TopicPrefix, topic)
	if rej != nil || kind != TopicTelemetry {
		done(in.HandleMessage(ctx, topic, payload))
		return
	}
	received := in.opts.Now()
	in.m.messages.WithLabelValues("telemetry").Inc()
	device, ok := in.device(dev, received)
	if !ok {
		done(nil)
		return
	}
	d := DecodeMapped(dev, payload, received, in.opts.Mappings.For(device.Model))
	in.keepThen(ctx, device, &d, received, aa, done)
}

// Ingest takes one telemetry payload of device dev from elsewhere than MQTT
// (HTTP): exactly what a message on PREFIX/DEV/telemetry gets (the model's
// mapping, validation, counters, last_error), and the readings are durable
// in the buffer when it returns. It returns what was decoded: the readings
// kept and the rejections with their reasons (an unknown or malformed
// device id is one rejection, Index -1). The error is non-nil only when
// the readings could not be made durable: then nothing may be acknowledged.
func (in *Ingester) Ingest(ctx context.Context, dev plant.DeviceID, payload []byte) (Decoded, error) {
	received := in.opts.Now()
	if !plant.ValidDeviceID(string(dev)) {
		rej := Rejection{Index: -1, Reason: ReasonBadDeviceID, Detail: fmt.Sprintf("device id %q must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", clip([]byte(dev)))}
		in.reject("", rej)
		return Decoded{Rejected: []Rejection{rej}}, nil
	}
	return in.ingest(ctx, dev, payload, received)
}

func (in *Ingester) ingest(ctx context.Context, dev plant.DeviceID, payload []byte, received time.Time) (Decoded, error) {
	device, ok := in.device(dev, received)
	if !ok {
		return Decoded{Rejected: []Rejection{unknownDevice(dev)}}, nil
	}
	d := DecodeMapped(dev, payload, received, in.opts.Mappings.For(device.Model))
	return d, in.keep(ctx, device, &d, received)
}

func unknownDevice(dev plant.DeviceID) Rejection {
	return Rejection{Index: -1, Reason: ReasonUnknownDevice, Detail: fmt.Sprintf("device %s is not in the registry (ingest.unknown_devices is reject): add it through the API or CSV import", dev)}
}

// device looks a device up in the registry, lists it when it is unknown,
// or rejects it (false) when unknown devices are refused.
func (in *Ingester) device(dev plant.DeviceID, received time.Time) (plant.Device, bool) {
	device, known := in.opts.Directory.Device(dev)
	if !known {
		if in.opts.RejectUnknown {
			in.reject(dev, unknownDevice(dev))
			return device, false
		}
		in.opts.Directory.AddUnknown(dev, received)
		device = plant.Device{ID: dev, Kind: plant.KindUnknown}
	}
	return device, true
}

// keep counts what decoding found, makes the readings durable and hands
// them on. Only the buffer's failure is an error.
func (in *Ingester) keep(ctx context.Context, device plant.Device, d *Decoded, received time.Time) error {
	var err error
	in.keepThen(ctx, device, d, received, nil, func(e error) { err = e })
	return err
}

// keepThen is keep telling done: at once when async is nil, else once
// async made the readings durable.
func (in *Ingester) keepThen(ctx context.Context, device plant.Device, d *Decoded, received time.Time, async AsyncAppender, done func(error)) {
	dev := device.ID
	if d.UnknownKeys > 0 {
		in.m.unknownKeys.Add(float64(d.UnknownKeys))
	}
	if d.UnknownStates+d.UnknownPowers > 0 {
		in.unknownWords(dev, d)
	}
	for _, r := range d.Rejected {
		in.reject(dev, r)
	}
	if len(d.Readings) == 0 {
		done(nil)
		return
	}
	in.storeThen(ctx, d.Readings, device, received, async, func(stored []plant.Reading, err error) {
		if err != nil {
			done(err)
			return
		}
		in.m.append.Observe(in.opts.Now().Sub(received).Seconds())
		d.Readings = stored // without those sent to the dead letters
		in.deliver(stored, received)
		done(nil)
	})
}

// store makes readings durable in the buffer and returns those it stored
// (storeThen without async).
func (in *Ingester) store(ctx context.Context, rs []plant.Reading, device plant.Device, received time.Time) (stored []plant.Reading, err error) {
	in.storeThen(ctx, rs, device, received, nil, func(s []plant.Reading, e error) { stored, err = s, e })
	return stored, err
}

// storeThen makes readings durable in the buffer and tells stored those it
// stored. Only the buffer's failure is an error (the message must then not
// be acknowledged). Registry values line protocol cannot carry are
// repaired, and a reading that still cannot be encoded goes to the dead
// letters: bad data never stops ingest, where an error here would make the
// broker redeliver it forever (issue 13, item 3). With async nil, stored is
// called before storeThen returns.
func (in *Ingester) storeThen(ctx context.Context, rs []plant.Reading, device plant.Device, received time.Time, async AsyncAppender, stored func([]plant.Reading, error)) {
	enc := in.encs.Get().(*influx.Encoder)
	defer in.encs.Put(enc) // the buffer copies the data before Append(Async) returns
	out := enc.Encode(rs, influx.TagsOf(device))
	if len(out.Repaired) > 0 {
		in.tagsRepaired(device, out.Repaired, out.Lines)
	}
	// The callback keeps only what it needs (not the whole device, copied
	// into every message's closure): the dead letters' device is rare.
	id, failed := device.ID, out.Failed
	var dl *plant.Device
	if len(failed) > 0 {
		d := device
		dl = &d
	}
	durable := func(err error) {
		if err != nil {
			stored(nil, fmt.Errorf("buffer readings of %s: %w", id, err))
			return
		}
		if len(failed) > 0 {
			rs = in.deadLetter(*dl, rs, failed, received)
		}
		stored(rs, nil)
	}
	switch {
	case out.Lines == 0:
		durable(nil)
	case async != nil:
		async.AppendAsync(ctx, out.Data, out.Lines, received, durable)
	default:
		durable(in.opts.Buffer.Append(ctx, out.Data, out.Lines, received))
	}
}

func (in *Ingester) tagsRepaired(device plant.Device, tags []string, lines int) {
	for _, t := range tags {
		in.m.tagRepairs.WithLabelValues(t).Add(float64(lines))
	}
	if in.rl.allow(in.opts.Now()) {
		in.log.Warn("registry values of a device cannot be stored in InfluxDB as they are and were repaired (control characters to spaces, trailing backslashes dropped); fix the device's registry entry",
			"device", device.ID, "tags", tags)
	}
}

// deadLetter rejects the readings that could not be encoded, keeps them as
// JSON lines in the dead letters, and returns the others.
func (in *Ingester) deadLetter(device plant.Device, rs []plant.Reading, failed []influx.Failure, received time.Time) []plant.Reading {
	lines := make([]string, len(failed))
	bad := make(map[int]bool, len(failed))
	for i, f := range failed {
		bad[f.Index] = true
		lines[i] = deadLetterLine(rs[f.Index], device)
	}
	err := errors.New("no dead-letter file configured")
	if in.opts.DeadLetter != nil {
		err = in.opts.DeadLetter(string(ReasonUnencodable), failed[0].Err.Error(), lines, received)
	}
	where := "the reading was kept in the dead letters"
	if err != nil {
		where = "the reading is lost: the dead letters could not take it"
		in.log.Error("readings that cannot be encoded could not be kept in the dead letters either; they are lost but for this log line",
			"device", device.ID, "err", err, "readings", lines)
	} else {
		in.m.deadLetters.Add(float64(len(lines)))
	}
	for _, f := range failed {
		in.reject(device.ID, Rejection{Index: f.Index, Reason: ReasonUnencodable, Detail: f.Err.Error() + "; " + where})
	}
	kept := make([]plant.Reading, 0, len(rs)-len(failed))
	for i, r := range rs {
		if !bad[i] {
			kept = append(kept, r)
		}
	}
	return kept
}

// deadLetterLine is a reading as one line of JSON, with the registry tags
// it was to be stored with.
func deadLetterLine(r plant.Reading, device plant.Device) string {
	b, err := json.Marshal(struct {
		plant.Reading
		Tags influx.Tags `json:"tags"`
	}{r, influx.TagsOf(device)})
	if err != nil { // a value JSON cannot hold either (NaN): say what there is
		var b strings.Builder
		fmt.Fprintf(&b, "device=%s ts=%s", r.Device, r.Time.Format(time.RFC3339Nano))
		r.Each(func(field string, v float64) { fmt.Fprintf(&b, " %s=%v", field, v) })
		return b.String()
	}
	return string(b)
}

func (in *Ingester) deliver(rs []plant.Reading, received time.Time) {
	for i := range rs {
		live := in.opts.Fleet.Reading(&rs[i], received)
		if live {
			in.m.readings.WithLabelValues("live").Inc()
		} else {
			in.m.readings.WithLabelValues("backlog").Inc()
		}
		if in.opts.Consumer != nil {
			in.opts.Consumer.ObserveReading(rs[i], live)
		}
	}
}

// unknownWords counts state and power words that were not understood and
// tells the device's last_error why its state shows unknown.
func (in *Ingester) unknownWords(dev plant.DeviceID, d *Decoded) {
	in.m.unknownWord.WithLabelValues("state").Add(float64(d.UnknownStates))
	in.m.unknownWord.WithLabelValues("power").Add(float64(d.UnknownPowers))
	msg := d.UnknownWordText()
	in.opts.Fleet.Error(dev, ErrorUnknownWord, msg, in.opts.Now())
	if in.rl.allow(in.opts.Now()) {
		in.log.Warn("device sent a word OxyWatch does not know; the reading was kept with the value unknown", "device", dev, "detail", msg)
	}
}

func (in *Ingester) reject(dev plant.DeviceID, r Rejection) {
	in.m.rejected.WithLabelValues(string(r.Reason)).Inc()
	if dev != "" {
		in.opts.Fleet.Error(dev, string(r.Reason), r.Error(), in.opts.Now())
	}
	if in.rl.allow(in.opts.Now()) {
		in.log.Warn("rejected device input", "device", dev, "reason", r.Reason, "detail", r.Detail, "index", r.Index)
	}
}

// rateLimiter lets max events through per period, so a device sending
// garbage every second cannot flood the log (the counters still count all).
type rateLimiter struct {
	mu    sync.Mutex
	per   time.Duration
	max   int
	start time.Time
	n     int
}

func (r *rateLimiter) allow(now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.start) >= r.per {
		r.start, r.n = now, 0
	}
	r.n++
	return r.n <= r.max
}
