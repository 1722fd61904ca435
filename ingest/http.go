package ingest

import (
	"context"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// Entry points for telemetry that does not come over MQTT: readings posted
// over HTTP (POST /api/v1/ingest) and alarm SMS turned into readings
// (issue 19). They share HandleMessage's decoder, limits, rejection reasons,
// counters and durability: each returns only after the accepted readings
// are appended and fsync'd in the buffer, and an error only when they could
// not be (the caller must then not acknowledge them).

// ReasonSMSUnmatched counts an SMS from a registered device's number that
// no text pattern of its model reads; its text is kept as the device's
// last error.
const ReasonSMSUnmatched Reason = "sms_unmatched"

// Result is what one payload became.
type Result struct {
	Accepted int         // readings made durable
	Rejected []Rejection // readings (or the whole payload, Index -1) rejected
	Backlog  bool        // the payload was an array
}

// HandlePayload ingests one telemetry payload of device dev (a JSON object
// or a backlog array, CONTRACT §3, or the device model's vendor payload)
// that arrived other than over MQTT: Ingest, told as counts.
func (in *Ingester) HandlePayload(ctx context.Context, dev plant.DeviceID, payload []byte) (Result, error) {
	d, err := in.Ingest(ctx, dev, payload)
	res := Result{Rejected: d.Rejected, Backlog: d.Backlog}
	if err != nil {
		return res, err
	}
	res.Accepted = len(d.Readings)
	return res, nil
}

// HandleEvent ingests readings built by OxyWatch itself from what a device
// said another way (an alarm SMS read by a text pattern). They skip the
// JSON decoder, so the caller sets only valid values: a state, power or
// alarm code without any measured value is allowed here (an SMS "POWER
// FAIL" carries none). Each reading's Device is set to dev, and a reading
// without a time takes the time received.
func (in *Ingester) HandleEvent(ctx context.Context, dev plant.DeviceID, rs []plant.Reading) (Result, error) {
	received := in.opts.Now()
	device, ok := in.device(dev, received)
	if !ok {
		return Result{Rejected: []Rejection{unknownDevice(dev)}}, nil
	}
	for i := range rs {
		rs[i].Device = dev
		if rs[i].Time.IsZero() {
			rs[i].Time = received
		}
	}
	n, err := in.storeAndDeliver(ctx, rs, device, received)
	return Result{Accepted: n}, err
}

// RejectInput counts input of device dev that could not be read (reason)
// and records detail as the device's last error, as a rejected reading is.
func (in *Ingester) RejectInput(dev plant.DeviceID, reason Reason, detail string) {
	in.reject(dev, Rejection{Index: -1, Reason: reason, Detail: detail})
}

// CountReasons creates the rejection counters of reasons at zero, so a
// dashboard sees them before the first rejection.
func (in *Ingester) CountReasons(reasons ...Reason) {
	for _, r := range reasons {
		in.m.rejected.WithLabelValues(string(r))
	}
}

// storeAndDeliver makes readings durable, then hands them to the fleet
// tracker and the consumers (alerting), and returns how many were stored.
func (in *Ingester) storeAndDeliver(ctx context.Context, rs []plant.Reading, device plant.Device, received time.Time) (int, error) {
	stored, err := in.store(ctx, rs, device, received)
	if err != nil {
		return 0, err
	}
	in.m.append.Observe(in.opts.Now().Sub(received).Seconds())
	in.deliver(stored, received)
	return len(stored), nil
}
