package alerting

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/internal/plant"
)

var gaugeStates = [...]plant.AlertState{plant.AlertPending, plant.AlertFiring, plant.AlertAcknowledged}

// allRules lists every rule name, device slots first.
var allRules = append(slotNames[:len(slotNames):len(slotNames)], RuleMaintenanceDue, RuleFacilityOutage)

type metrics struct {
	evaluated   prometheus.Counter
	evalSeconds prometheus.Histogram
	writeErrors prometheus.Counter
	auditLost   prometheus.Counter
	alerts      map[string]*[len(gaugeStates)]prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		evaluated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "oxywatch_alerting_readings_evaluated_total",
			Help: "Readings the rule engine evaluated.",
		}),
		evalSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "oxywatch_alerting_evaluation_seconds",
			Help:    "Time to evaluate one reading against every rule.",
			Buckets: []float64{1e-7, 3e-7, 1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 1e-3, 1e-2},
		}),
		writeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "oxywatch_alerting_write_errors_total",
			Help: "Failed alert state transactions (they are retried).",
		}),
		auditLost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "oxywatch_alerting_audit_entries_lost_total",
			Help: "Acknowledgements stored whose audit entry could not be written (each is logged in full).",
		}),
		alerts: map[string]*[len(gaugeStates)]prometheus.Gauge{},
	}
	vec := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "oxywatch_alerts",
		Help: "Open alerts by rule and state.",
	}, []string{"rule", "state"})
	for _, r := range allRules {
		var gs [len(gaugeStates)]prometheus.Gauge
		for i, s := range gaugeStates {
			gs[i] = vec.WithLabelValues(r, string(s))
		}
		m.alerts[r] = &gs
	}
	for _, c := range []prometheus.Collector{m.evaluated, m.evalSeconds, m.writeErrors, m.auditLost, vec} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register alerting metrics: %w", err)
		}
	}
	return m, nil
}

// move shifts one alert of a rule from one state to another in the gauge;
// resolved and "" are not counted.
func (m *metrics) move(rule string, from, to plant.AlertState) {
	gs := m.alerts[rule]
	if gs == nil {
		return
	}
	for i, s := range gaugeStates {
		if s == from {
			gs[i].Dec()
		}
		if s == to {
			gs[i].Inc()
		}
	}
}
