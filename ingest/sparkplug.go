package ingest

import (
	"context"
	"slices"
	"time"

	"github.com/oxywatch/oxywatch/ingest/sparkplug"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// Reasons of the Sparkplug B path.
const (
	ReasonBadProtobuf  Reason = sparkplug.ReasonBadProtobuf  // a Sparkplug payload that is not its protobuf
	ReasonUnknownAlias Reason = sparkplug.ReasonUnknownAlias // a DATA metric alias no BIRTH declared (a rebirth is requested)
)

// sparkplugTypes label oxywatch_ingest_sparkplug_messages_total.
var sparkplugTypes = []string{
	sparkplug.NBIRTH, sparkplug.NDATA, sparkplug.NDEATH, sparkplug.DBIRTH, sparkplug.DDATA, sparkplug.DDEATH,
	"other", "REBIRTH_SENT", "REBIRTH_OFF",
}

// handleSparkplug takes a message under spBv1.0/: its readings go the way
// of any telemetry (durable before the acknowledgement), a BIRTH is the
// device saying online, a DEATH offline, as o2/DEVICE/status does.
// Messages of one edge node must come in order (see Subscriber and Broker).
func (in *Ingester) handleSparkplug(ctx context.Context, topic string, payload []byte, received time.Time) error {
	res := in.opts.Sparkplug.Handle(topic, payload, received)
	if res.Err != nil {
		return res.Err // a BIRTH not kept: not acknowledged, it comes again
	}
	in.countSparkplug(res)
	for _, p := range res.Problems {
		in.reject(p.Device, Rejection{Index: -1, Reason: Reason(p.Reason), Detail: p.Detail})
	}
	for _, id := range res.Online {
		in.status(id, plant.Online, received)
	}
	for _, data := range res.Data {
		device, ok := in.device(data.Device, received)
		if !ok {
			continue
		}
		d := DecodeMapped(device.ID, data.JSON, received, in.opts.Mappings.ForSparkplug(device.Model))
		if data.Birth {
			d.Rejected = slices.DeleteFunc(d.Rejected, func(r Rejection) bool { return r.Reason == ReasonNoValues })
		}
		if err := in.keep(ctx, device, &d, received); err != nil {
			return err
		}
	}
	for _, id := range res.Offline {
		in.status(id, plant.Offline, received)
	}
	in.rebirth(res)
	return nil
}

func (in *Ingester) countSparkplug(res sparkplug.Result) {
	switch res.Type {
	case sparkplug.NBIRTH, sparkplug.NDATA, sparkplug.NDEATH, sparkplug.DBIRTH, sparkplug.DDATA, sparkplug.DDEATH:
		in.m.sparkplug.WithLabelValues(res.Type).Inc()
	default:
		in.m.sparkplug.WithLabelValues("other").Inc()
	}
}

// rebirth asks the edge node for its BIRTH messages when the decoder
// wants it and a publisher is configured (ingest.sparkplug.rebirth).
func (in *Ingester) rebirth(res sparkplug.Result) {
	if res.Rebirth == nil {
		return
	}
	if in.opts.Command == nil {
		in.m.sparkplug.WithLabelValues("REBIRTH_OFF").Inc()
		return
	}
	if err := in.opts.Command(res.Rebirth.Topic, res.Rebirth.Payload); err != nil {
		in.log.Warn("could not ask a Sparkplug edge node to rebirth", "topic", res.Rebirth.Topic, "why", res.RebirthWhy, "err", err)
		return
	}
	in.m.sparkplug.WithLabelValues("REBIRTH_SENT").Inc()
	in.log.Info("asked a Sparkplug edge node to rebirth", "topic", res.Rebirth.Topic, "why", res.RebirthWhy)
}

// status records a device going online or offline, as a message on
// o2/DEVICE/status would.
func (in *Ingester) status(dev plant.DeviceID, state plant.Connectivity, received time.Time) {
	msg := plant.StatusMessage{Device: dev, State: state, Received: received}
	in.opts.Fleet.Status(msg)
	if in.opts.Consumer != nil {
		in.opts.Consumer.ObserveStatus(msg)
	}
}
