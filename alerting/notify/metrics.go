package notify

import (
	"context"
	"database/sql"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	sent            *prometheus.CounterVec
	failed          *prometheus.CounterVec
	retries         *prometheus.CounterVec
	suppressed      *prometheus.CounterVec
	rateLimited     *prometheus.CounterVec
	inbound         *prometheus.CounterVec
	unrouted        prometheus.Counter
	escalations     prometheus.Counter
	queueDepth      prometheus.Gauge
	oldestAge       prometheus.Gauge
	budgetExhausted prometheus.Gauge
	smsToday        prometheus.Gauge
	overBudget      prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "oxywatch", Subsystem: "notify", Name: name, Help: help}, labels)
	}
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "oxywatch", Subsystem: "notify", Name: name, Help: help})
	}
	m := &metrics{
		sent:        counter("sent_total", "Messages the provider accepted, by channel.", "channel"),
		failed:      counter("failed_total", "Messages given up on (provider refusal or max_age), by channel.", "channel"),
		retries:     counter("send_errors_total", "Send attempts that failed and will be retried, by channel.", "channel"),
		suppressed:  counter("suppressed_total", "Outbox rows not sent on their channel, by channel and reason.", "channel", "reason"),
		rateLimited: counter("rate_limited_total", "Messages held back by the per-recipient rate limit, by channel.", "channel"),
		inbound:     counter("inbound_sms_total", "Inbound SMS by result (acked, unknown_sender, bad_signature, ...).", "result"),
		unrouted: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "oxywatch", Subsystem: "notify",
			Name: "unrouted_total", Help: "Firing alerts no contact could be told about."}),
		escalations: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "oxywatch", Subsystem: "notify",
			Name: "escalations_total", Help: "Escalations that told a further tier about an unacknowledged alert."}),
		queueDepth:      gauge("queue_depth", "Outbox rows waiting to be sent."),
		oldestAge:       gauge("oldest_unsent_age_seconds", "Age of the oldest outbox row waiting to be sent."),
		budgetExhausted: gauge("sms_budget_exhausted", "1 while today's SMS budget is used up and contacts are told by email only."),
		smsToday:        gauge("sms_sent_today", "SMS sent since local midnight."),
		overBudget: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "oxywatch", Subsystem: "notify",
			Name: "sms_over_budget_total", Help: "SMS not sent because the daily SMS budget was used up (their contacts were emailed instead)."}),
	}
	for _, c := range []prometheus.Collector{m.sent, m.failed, m.retries, m.suppressed, m.rateLimited,
		m.inbound, m.unrouted, m.escalations, m.queueDepth, m.oldestAge, m.budgetExhausted, m.smsToday, m.overBudget} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// updateGauges reads queue depth, oldest unsent age and today's SMS count.
func (s *Service) updateGauges(ctx context.Context) {
	var n int
	var oldest sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), MIN(created_at) FROM notify_outbox WHERE state = 'pending'`).Scan(&n, &oldest)
	if err != nil {
		return
	}
	s.m.queueDepth.Set(float64(n))
	age := 0.0
	if oldest.Valid {
		age = max(0, s.now().Sub(fromMS(oldest.Int64)).Seconds())
	}
	s.m.oldestAge.Set(age)
	today, err := s.smsSentToday(ctx)
	if err != nil {
		return
	}
	s.m.smsToday.Set(float64(today))
	if s.cfg.SMSDailyBudget > 0 && today < s.cfg.SMSDailyBudget {
		s.m.budgetExhausted.Set(0) // a new day
	}
}
