package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/ingest/buffer"
	"github.com/oxywatch/oxywatch/internal/influx"
)

// Writer stores line protocol (InfluxDB in production).
type Writer interface {
	Write(ctx context.Context, lines ...string) error
}

// RefusedError is implemented by write errors that can tell a refusal of the
// lines' content (sending them again as they are cannot succeed) from a
// failure worth retrying.
type RefusedError interface {
	error
	// Refused names why the server refused the content of (some of) the
	// lines sent, as a short word for metrics; "" when it did not.
	Refused() string
	// AllRefused reports whether the server said it refused every line.
	AllRefused() bool
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
// (but disk). When InfluxDB refuses lines it splits the batch to find them
// and parks only those in the dead-letter file, with the reason.
type Sender struct {
	opts SenderOptions
	log  *slog.Logger
	m    senderMetrics
}

type senderMetrics struct {
	batches  *prometheus.CounterVec
	points   prometheus.Counter
	dead     *prometheus.CounterVec
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
		dead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oxywatch_store_dead_letter_lines_total", Help: "Readings InfluxDB refused, by reason, kept in dead-letter.lp under the buffer dir (resend them with `oxywatch buffer replay-dead-letters`).",
		}, []string{"reason"}),
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
	for _, r := range influx.RefusalReasons() {
		s.m.dead.WithLabelValues(r)
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
	lines := splitEntries(entries)
	refused, err := storeLines(ctx, s.opts.Writer, lines, s.observe)
	if err != nil {
		return 0, err // nothing dead-lettered: the whole batch is tried again
	}
	if err := s.deadLetter(refused); err != nil {
		return 0, err
	}
	s.opts.Buffer.Commit(entries[len(entries)-1].Index + 1)
	return len(lines), nil
}

// splitEntries returns the lines of entries, one reading each. The lines
// are the buffer's memory, not copies (buffer.Entry.Data never changes).
func splitEntries(entries []buffer.Entry) []string {
	n := 0
	for _, e := range entries {
		n += e.Lines
	}
	lines := make([]string, 0, n)
	for _, e := range entries {
		for l := range strings.SplitSeq(unsafe.String(unsafe.SliceData(e.Data), len(e.Data)), "\n") {
			if strings.TrimSpace(l) != "" {
				lines = append(lines, l)
			}
		}
	}
	return lines
}

// refusedLine is a line InfluxDB refused, with why.
type refusedLine struct {
	Line   string
	Reason string // short name, from RefusedError.Refused
	Detail string // the error
}

// storeLines writes lines. When InfluxDB refuses the content of some of
// them, it sends each half again, down to the lines InfluxDB really refuses,
// and returns those. Sending a stored line again is harmless: InfluxDB
// overwrites a point with the same series and time, so the lines a partial
// write kept may be resent. Any other error stops it: the caller tries the
// whole batch again later. observe, when set, sees every request.
func storeLines(ctx context.Context, w Writer, lines []string, observe func(lines int, took time.Duration, err error)) ([]refusedLine, error) {
	if len(lines) == 0 {
		return nil, nil
	}
	start := time.Now()
	err := w.Write(ctx, lines...)
	if observe != nil {
		observe(len(lines), time.Since(start), err)
	}
	if err == nil {
		return nil, nil
	}
	reason, all := refusal(err)
	if reason == "" {
		return nil, err
	}
	if len(lines) == 1 || all {
		out := make([]refusedLine, len(lines))
		for i, l := range lines {
			out[i] = refusedLine{Line: l, Reason: reason, Detail: err.Error()}
		}
		return out, nil
	}
	mid := len(lines) / 2
	first, err := storeLines(ctx, w, lines[:mid], observe)
	if err != nil {
		return nil, err
	}
	second, err := storeLines(ctx, w, lines[mid:], observe)
	if err != nil {
		return nil, err
	}
	return append(first, second...), nil
}

// refusal reads a write error: why the content was refused, or "".
func refusal(err error) (reason string, all bool) {
	var re RefusedError
	if !errors.As(err, &re) {
		return "", false
	}
	return re.Refused(), re.AllRefused()
}

func (s *Sender) observe(lines int, took time.Duration, err error) {
	s.m.duration.Observe(took.Seconds())
	switch reason, _ := refusal(err); {
	case err == nil:
		s.m.batches.WithLabelValues("ok").Inc()
		s.m.points.Add(float64(lines))
		s.m.up.Set(1)
	case reason != "":
		s.m.batches.WithLabelValues("rejected").Inc()
		s.m.up.Set(1)
	default:
		s.m.batches.WithLabelValues("retry").Inc()
		s.m.up.Set(0)
	}
}

// deadLetter keeps refused lines in the dead-letter file. Until that is on
// disk the batch stays in the buffer: nothing is dropped unrecorded.
func (s *Sender) deadLetter(refused []refusedLine) error {
	if len(refused) == 0 {
		return nil
	}
	now := s.opts.Now()
	dls := make([]buffer.DeadLetter, len(refused))
	byReason := map[string]int{}
	for i, r := range refused {
		dls[i] = buffer.DeadLetter{Line: r.Line, Reason: r.Reason, Detail: r.Detail, At: now}
		byReason[r.Reason]++
	}
	path := s.opts.Buffer.DeadLetterPath()
	if err := buffer.AppendDeadLetters(path, dls); err != nil {
		return err
	}
	for reason, n := range byReason {
		s.m.dead.WithLabelValues(reason).Add(float64(n))
		s.log.Error("influxdb refused readings; they were moved to the dead-letter file",
			"lines", n, "reason", reason, "example", refusedExample(refused, reason), "file", path)
	}
	return nil
}

func refusedExample(refused []refusedLine, reason string) string {
	for _, r := range refused {
		if r.Reason == reason {
			return r.Detail
		}
	}
	return ""
}

// ReplayOptions configure ReplayDeadLetters.
type ReplayOptions struct {
	Path       string // the dead-letter file
	Writer     Writer
	BatchLines int           // lines per write; default 5000
	SaveEvery  time.Duration // how often progress is written to the file; default 5s
	DryRun     bool          // only read and count the file
	Now        func() time.Time
	// Progress, when set, sees the counts after each batch.
	Progress func(ReplayResult)
}

// ReplayResult counts what a replay found and did.
type ReplayResult struct {
	Lines      int               // distinct lines in the file when the replay began
	Duplicates int               // further copies of those lines, dropped (a batch may be dead-lettered twice after a crash)
	InFile     map[string]int    // those lines by the reason the file gives ("" when it gives none)
	Sent       int               // lines InfluxDB took
	Refused    map[string]int    // lines InfluxDB still refuses, by reason; they stay in the file
	Examples   map[string]string // InfluxDB's answer for one of them, by reason
	Left       int               // lines not tried because the replay stopped; they stay in the file
}

// ReplayDeadLetters sends the lines of a dead-letter file to InfluxDB again,
// after the cause of their refusal was fixed. Lines InfluxDB takes leave the
// file; lines it still refuses stay, with the new reason. The file is
// rewritten atomically every SaveEvery and at the end, so a replay stopped at
// any point, even by kill -9, loses no line: at worst the next one sends
// again lines InfluxDB already took, which is harmless. The server may run
// meanwhile; lines its sender dead-letters during the replay are kept.
func ReplayDeadLetters(ctx context.Context, opts ReplayOptions) (ReplayResult, error) {
	if opts.BatchLines <= 0 {
		opts.BatchLines = 5000
	}
	if opts.SaveEvery <= 0 {
		opts.SaveEvery = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.DryRun {
		dls, err := buffer.ReadDeadLetters(opts.Path)
		if err != nil {
			return ReplayResult{}, err
		}
		res, _ := countDeadLetters(dls)
		return res, nil
	}
	replay, dls, err := buffer.StartReplay(opts.Path)
	if err != nil {
		return ReplayResult{}, err
	}
	defer replay.Close()
	res, pending := countDeadLetters(dls)
	if len(pending) == 0 {
		return res, nil
	}
	res.Refused, res.Examples = map[string]int{}, map[string]string{}
	var still []buffer.DeadLetter
	saved := opts.Now()
	for len(pending) > 0 {
		batch := pending[:min(opts.BatchLines, len(pending))]
		lines := make([]string, len(batch))
		for i, d := range batch {
			lines[i] = d.Line
		}
		refused, err := storeLines(ctx, opts.Writer, lines, nil)
		if err != nil {
			res.Left = len(pending)
			return res, errors.Join(fmt.Errorf("influxdb did not take the lines: %w", err), replay.Keep(slices.Concat(still, pending)))
		}
		now := opts.Now()
		for _, r := range refused {
			still = append(still, buffer.DeadLetter{Line: r.Line, Reason: r.Reason, Detail: r.Detail, At: now})
			res.Refused[r.Reason]++
			res.Examples[r.Reason] = r.Detail
		}
		res.Sent += len(batch) - len(refused)
		pending = pending[len(batch):]
		res.Left = len(pending)
		if now.Sub(saved) >= opts.SaveEvery && len(pending) > 0 {
			if err := replay.Keep(slices.Concat(still, pending)); err != nil {
				return res, err
			}
			saved = now
		}
		if opts.Progress != nil {
			opts.Progress(res)
		}
	}
	return res, replay.Keep(still)
}

// countDeadLetters counts the lines of a dead-letter file and returns them
// without duplicates, in order.
func countDeadLetters(dls []buffer.DeadLetter) (ReplayResult, []buffer.DeadLetter) {
	res := ReplayResult{InFile: map[string]int{}}
	seen := make(map[string]bool, len(dls))
	distinct := dls[:0:0]
	for _, d := range dls {
		if seen[d.Line] {
			res.Duplicates++
			continue
		}
		seen[d.Line] = true
		distinct = append(distinct, d)
		res.InFile[d.Reason]++
	}
	res.Lines, res.Left = len(distinct), len(distinct)
	return res, distinct
}
