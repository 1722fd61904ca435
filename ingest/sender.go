package ingest

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/ingest/buffer"
)

// Writer stores line protocol (InfluxDB in production).
type Writer interface {
	Write(ctx context.Context, lines ...string) error
}

// PermanentError is implemented by write errors that retrying cannot fix
// (the server refused the content).
type PermanentError interface {
	error
	Permanent() bool
}

// SenderOptions configure the sender.
type SenderOptions struct {
	Buffer       *buffer.Buffer
	Writer       Writer
	BatchLines   int           // about 5000
	MaxRetryWait time.Duration // backoff ceiling
	TrimEvery    time.Duration // how often sent entries are removed from disk
	// Linger is how long the sender waits for a batch to fill when readings
	// trickle in; it delays InfluxDB (never the MQTT ack) and saves the
	// per-request cost of many tiny writes. Default 200ms.
	Linger     time.Duration
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Now        func() time.Time
}

// Sender drains the buffer into the store, in order, retrying without limit
// (but disk) and parking refused batches in the dead-letter file.
type Sender struct {
	opts    SenderOptions
	log     *slog.Logger
	m       senderMetrics
	healthy chan bool
	lastOK  time.Time
}

type senderMetrics struct {
	batches  *prometheus.CounterVec
	points   prometheus.Counter
	dead     prometheus.Counter
	duration prometheus.Histogram
	up       prometheus.Gauge
}

// NewSender builds a sender and registers its metrics, including the
// buffer's depth, age and size.
func NewSender(opts SenderOptions) *Sender {
	if opts.BatchLines <= 0 {
		opts.BatchLines = 5000
	}
	if opts.MaxRetryWait <= 0 {
		opts.MaxRetryWait = 30 * time.Second
	}
	if opts.TrimEvery <= 0 {
		opts.TrimEvery = 2 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Linger <= 0 {
		opts.Linger = 200 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Sender{opts: opts, log: opts.Logger.With("component", "sender")}
	s.m = senderMetrics{
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oxywatch_store_write_batches_total", Help: "Write requests to InfluxDB by result (ok, retry, rejected).",
		}, []string{"result"}),
		points: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "oxywatch_store_points_written_total", Help: "Readings InfluxDB accepted.",
		}),
		dead: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "oxywatch_store_dead_letter_lines_total", Help: "Readings InfluxDB refused, kept in dead-letter.lp under the buffer dir.",
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "oxywatch_store_write_duration_seconds", Help: "Time of one write request to InfluxDB.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}),
		up: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "oxywatch_store_up", Help: "1 when the last write to InfluxDB succeeded.",
		}),
	}
	for _, r := range []string{"ok", "retry", "rejected"} {
		s.m.batches.WithLabelValues(r)
	}
	if reg := opts.Registerer; reg != nil {
		b := opts.Buffer
		reg.MustRegister(s.m.batches, s.m.points, s.m.dead, s.m.duration, s.m.up,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "oxywatch_buffer_depth", Help: "Buffered messages not yet written to InfluxDB.",
			}, func() float64 { return float64(b.Stats().Depth) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "oxywatch_buffer_oldest_unsent_age_seconds", Help: "Age of the oldest buffered message not yet written; 0 when empty.",
			}, func() float64 {
				st := b.Stats()
				if st.OldestUnsent.IsZero() {
					return 0
				}
				return opts.Now().Sub(st.OldestUnsent).Seconds()
			}),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "oxywatch_buffer_bytes", Help: "Size of the durable buffer on disk.",
			}, func() float64 { return float64(b.Stats().Bytes) }),
		)
	}
	return s
}

// Run sends until ctx is done, then makes one last bounded attempt to send
// what is waiting; whatever is left stays in the buffer for the next start.
func (s *Sender) Run(ctx context.Context) {
	lastTrim := s.opts.Now()
	backoff := time.Duration(0)
	for {
		if now := s.opts.Now(); now.Sub(lastTrim) >= s.opts.TrimEvery {
			if err := s.opts.Buffer.Trim(); err != nil {
				s.log.Error("trim buffer", "err", err)
			}
			lastTrim = now
		}
		lines, err := s.sendOnce(ctx)
		var wait <-chan time.Time
		switch {
		case err != nil:
			backoff = s.nextBackoff(backoff)
			s.log.Warn("influxdb write failed; readings stay in the buffer and will be retried",
				"err", err, "retry_in", backoff.Round(time.Millisecond), "buffered", s.opts.Buffer.Stats().Depth)
			wait = time.After(backoff) // new readings do not cut a backoff short
		case lines >= s.opts.BatchLines/2:
			backoff = 0
			continue // more is waiting: send it now
		case lines > 0:
			backoff = 0
			wait = time.After(s.opts.Linger) // readings are trickling in: gather a batch
		default:
			backoff = 0
			select {
			case <-ctx.Done():
				s.drain()
				return
			case <-s.opts.Buffer.Wake():
				wait = time.After(s.opts.Linger)
			case <-time.After(s.opts.TrimEvery):
				continue
			}
		}
		select {
		case <-ctx.Done():
			s.drain()
			return
		case <-wait:
		}
	}
}

// drain gives a shutdown a few seconds to send what is buffered.
func (s *Sender) drain() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		sent, err := s.sendOnce(ctx)
		if err != nil || sent == 0 {
			break
		}
	}
	if err := s.opts.Buffer.Trim(); err != nil {
		s.log.Error("trim buffer", "err", err)
	}
}

func (s *Sender) nextBackoff(prev time.Duration) time.Duration {
	next := prev * 2
	if next < 100*time.Millisecond {
		next = 100 * time.Millisecond
	}
	if next > s.opts.MaxRetryWait {
		next = s.opts.MaxRetryWait
	}
	// up to 20 % jitter so many sites do not retry in step after an outage
	return next - time.Duration(rand.Int64N(int64(next)/5+1))
}

// sendOnce writes one batch. It reports how many lines were sent.
func (s *Sender) sendOnce(ctx context.Context) (int, error) {
	entries, err := s.opts.Buffer.Read(s.opts.BatchLines)
	if err != nil {
		return 0, err
	}
	if len(entries) == 0 {
		return 0, nil
	}
	if err := s.writeEntries(ctx, entries); err != nil {
		return 0, err
	}
	s.opts.Buffer.Commit(entries[len(entries)-1].Index + 1)
	lines := 0
	for _, e := range entries {
		lines += e.Lines
	}
	return lines, nil
}

// writeEntries writes entries; when the server refuses their content, it
// splits them to find the refused ones, which go to the dead-letter file.
func (s *Sender) writeEntries(ctx context.Context, entries []buffer.Entry) error {
	err := s.write(ctx, entries)
	var perm PermanentError
	if err == nil || !errors.As(err, &perm) || !perm.Permanent() {
		return err
	}
	if len(entries) == 1 {
		return s.deadLetter(entries[0], err)
	}
	mid := len(entries) / 2
	if err := s.writeEntries(ctx, entries[:mid]); err != nil {
		return err
	}
	return s.writeEntries(ctx, entries[mid:])
}

func (s *Sender) write(ctx context.Context, entries []buffer.Entry) error {
	lines := make([]string, len(entries))
	points := 0
	for i, e := range entries {
		lines[i] = string(e.Data)
		points += e.Lines
	}
	start := time.Now()
	err := s.opts.Writer.Write(ctx, lines...)
	s.m.duration.Observe(time.Since(start).Seconds())
	var perm PermanentError
	switch {
	case err == nil:
		s.m.batches.WithLabelValues("ok").Inc()
		s.m.points.Add(float64(points))
		s.m.up.Set(1)
	case errors.As(err, &perm) && perm.Permanent():
		s.m.batches.WithLabelValues("rejected").Inc()
		s.m.up.Set(1)
	default:
		s.m.batches.WithLabelValues("retry").Inc()
		s.m.up.Set(0)
	}
	return err
}

func (s *Sender) deadLetter(e buffer.Entry, cause error) error {
	if err := buffer.DeadLetter(s.opts.Buffer.Dir(), cause.Error(), e.Data, s.opts.Now()); err != nil {
		return err // keep the entry and retry: nothing is dropped unrecorded
	}
	s.m.dead.Add(float64(e.Lines))
	s.log.Error("influxdb refused readings; they were moved to the dead-letter file",
		"lines", e.Lines, "err", cause, "file", s.opts.Buffer.Dir()+"/dead-letter.lp")
	return nil
}
