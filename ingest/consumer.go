package ingest

import "github.com/oxywatch/oxywatch/internal/plant"

// Consumer receives readings and status messages after they are durable in
// the buffer. Alerting and the status timeline plug in here. Calls come from
// many goroutines at once and must return quickly: a consumer that needs I/O
// queues the work itself.
type Consumer interface {
	// ObserveReading is called once per accepted reading. live is false for a
	// reading older than the newest one already seen from its device (a backlog
	// that arrived late); such a reading counts for history and reports but
	// must never fire or resolve a live alert.
	ObserveReading(r plant.Reading, live bool)
	// ObserveStatus is called for each message on o2/DEVICE/status.
	ObserveStatus(m plant.StatusMessage)
}

// Consumers fans out to several consumers in order.
type Consumers []Consumer

// ObserveReading implements Consumer.
func (cs Consumers) ObserveReading(r plant.Reading, live bool) {
	for _, c := range cs {
		c.ObserveReading(r, live)
	}
}

// ObserveStatus implements Consumer.
func (cs Consumers) ObserveStatus(m plant.StatusMessage) {
	for _, c := range cs {
		c.ObserveStatus(m)
	}
}
