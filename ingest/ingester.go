// Package ingest receives device telemetry over MQTT, validates it, makes it
// durable in the local buffer before the message is acknowledged, and hands
// it on to the store and to alerting.
package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// Appender makes encoded readings durable (the buffer).
type Appender interface {
	Append(ctx context.Context, data []byte, lines int, received time.Time) error
}

// Directory is the device registry as ingest sees it: a fast cached lookup,
// and a way to list a device nobody registered.
type Directory interface {
	Device(id plant.DeviceID) (plant.Device, bool)
	AddUnknown(id plant.DeviceID, seen time.Time)
}

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
	append      prometheus.Histogram
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
	in := &Ingester{opts: opts, log: opts.Logger.With("component", "ingest")}
	in.encs.New = func() any { return store.NewEncoder() }
	in.rl = rateLimiter{per: time.Minute, max: opts.LogRejectsPerMinute}
	in.m = ingestMetrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oxywatch_ingest_messages_total", Help: "MQTT messages received, by topic kind (telemetry, status, invalid).",
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
		append: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "oxywatch_ingest_append_seconds", Help: "Time from receiving a message to its readings being durable in the buffer.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
	}
	for _, t := range []string{"telemetry", "status", "invalid"} {
		in.m.messages.WithLabelValues(t)
	}
	for _, k := range []string{"live", "backlog"} {
		in.m.readings.WithLabelValues(k)
	}
	for _, r := range Reasons {
		in.m.rejected.WithLabelValues(string(r))
	}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(in.m.messages, in.m.readings, in.m.rejected, in.m.unknownKeys, in.m.append)
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
	msg := plant.StatusMessage{Device: dev, State: state, Received: received}
	in.opts.Fleet.Status(msg)
	if in.opts.Consumer != nil {
		in.opts.Consumer.ObserveStatus(msg)
	}
	return nil
}

func (in *Ingester) handleTelemetry(ctx context.Context, dev plant.DeviceID, payload []byte, received time.Time) error {
	device, known := in.opts.Directory.Device(dev)
	if !known {
		if in.opts.RejectUnknown {
			in.reject(dev, Rejection{Index: -1, Reason: ReasonUnknownDevice, Detail: fmt.Sprintf("device %s is not in the registry (ingest.unknown_devices is reject): add it through the API or CSV import", dev)})
			return nil
		}
		in.opts.Directory.AddUnknown(dev, received)
		device = plant.Device{ID: dev, Kind: plant.KindUnknown}
	}
	d := DecodeTelemetry(dev, payload, received)
	if d.UnknownKeys > 0 {
		in.m.unknownKeys.Add(float64(d.UnknownKeys))
	}
	for _, r := range d.Rejected {
		in.reject(dev, r)
	}
	if len(d.Readings) == 0 {
		return nil
	}
	if err := in.store(ctx, d.Readings, device, received); err != nil {
		return err
	}
	in.m.append.Observe(in.opts.Now().Sub(received).Seconds())
	in.deliver(d.Readings, received)
	return nil
}

func (in *Ingester) store(ctx context.Context, rs []plant.Reading, device plant.Device, received time.Time) error {
	enc := in.encs.Get().(*store.Encoder)
	defer in.encs.Put(enc)
	data, err := enc.Encode(rs, store.TagsOf(device))
	if err != nil {
		// Validated readings always encode; this is a bug, not bad input.
		return fmt.Errorf("encode readings of %s: %w", device.ID, err)
	}
	if err := in.opts.Buffer.Append(ctx, data, len(rs), received); err != nil {
		return fmt.Errorf("buffer readings of %s: %w", device.ID, err)
	}
	return nil
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

func (in *Ingester) reject(dev plant.DeviceID, r Rejection) {
	in.m.rejected.WithLabelValues(string(r.Reason)).Inc()
	if dev != "" {
		in.opts.Fleet.Error(dev, r.Error(), in.opts.Now())
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
