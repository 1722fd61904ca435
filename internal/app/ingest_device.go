package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/oxywatch/oxywatch/alerting/notify"
	"github.com/oxywatch/oxywatch/api"
	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/smsalarm"
	"github.com/oxywatch/oxywatch/internal/store"
)

// Devices without MQTT (issue 19): HTTP ingest with device tokens, and
// alarm modules that send SMS. Both go through the ingester's own entry
// points, so their readings are durable, counted and seen by alerting as
// any MQTT reading.

// buildDeviceIngest opens the device tokens and loads the SMS patterns.
func (a *App) buildDeviceIngest(ctx context.Context) error {
	var err error
	if a.devTokens, err = store.OpenDeviceTokens(ctx, a.db, nil); err != nil {
		return err
	}
	if a.smsPatterns, err = smsalarm.LoadFile(a.cfg.Ingest.SMS.PatternsFile); err != nil {
		return fmt.Errorf("ingest.sms.patterns_file: %w", err)
	}
	a.ingest.CountReasons(ingest.ReasonSMSUnmatched)
	return nil
}

// httpIngest serves api.Ingest with the ingester (the API does not import
// the ingester's buffer or broker).
type httpIngest struct{ in *ingest.Ingester }

func (h httpIngest) Ingest(ctx context.Context, dev plant.DeviceID, payload []byte) (api.IngestResult, error) {
	res, err := h.in.HandlePayload(ctx, dev, payload)
	return ingestResult(res), err
}

// ingestResult is the ingester's result as api.Ingest returns it: each
// rejection by its reason, with the ingester's own line (English,
// technical) in Technical. Detail is left empty: the API says the reason
// there in the reader's language.
func ingestResult(res ingest.Result) api.IngestResult {
	out := api.IngestResult{Accepted: res.Accepted, Rejected: len(res.Rejected), Errors: make([]api.IngestError, len(res.Rejected))}
	for i, r := range res.Rejected {
		out.Errors[i] = api.IngestError{Index: r.Index, Reason: string(r.Reason), Technical: r.Detail}
	}
	return out
}

// deviceSMS reads SMS from registered devices' numbers.
func (a *App) deviceSMS() notify.DeviceSMS {
	return smsDevices{reg: a.devs, set: a.smsPatterns, in: a.ingest, log: a.log.With("component", "sms-ingest")}
}

type smsDevices struct {
	reg *store.Registry
	set *smsalarm.Set
	in  *ingest.Ingester
	log *slog.Logger
}

// maxSMSError bounds the raw text kept in a device's last error.
const maxSMSError = 320

func (d smsDevices) DeviceSMS(ctx context.Context, number, text string) (string, bool, error) {
	dev, ok := d.reg.DeviceByPhone(number)
	if !ok {
		return "", false, nil
	}
	ev, err := d.set.Read(dev.Model, text)
	if err != nil {
		// Kept, not lost: the raw text is the device's last error (API,
		// dashboard) and in the log, and the rejection is counted.
		d.in.RejectInput(dev.ID, ingest.ReasonSMSUnmatched, fmt.Sprintf("SMS not understood (%v; add a pattern for model %q to ingest.sms.patterns_file): %q", err, dev.Model, clipSMS(text)))
		d.log.Warn("alarm SMS from a device matches no pattern; kept as its last error", "device", dev.ID, "model", dev.Model, "text", clipSMS(text))
		return notify.DeviceSMSUnmatched, true, nil
	}
	var res ingest.Result
	if ev.Measured() {
		res, err = d.in.HandlePayload(ctx, dev.ID, ev.JSON())
	} else {
		res, err = d.in.HandleEvent(ctx, dev.ID, []plant.Reading{ev.Reading(dev.ID)})
	}
	if err != nil {
		return notify.DeviceSMSError, true, err
	}
	if res.Accepted == 0 {
		d.log.Warn("alarm SMS from a device was read but its reading was rejected", "device", dev.ID, "text", clipSMS(text), "patterns", ev.Matched)
		return notify.DeviceSMSRejected, true, nil
	}
	d.log.Info("alarm SMS from a device ingested", "device", dev.ID, "patterns", strings.Join(ev.Matched, ","))
	return notify.DeviceSMSReading, true, nil
}

func clipSMS(s string) string {
	if len(s) <= maxSMSError {
		return s
	}
	s = s[:maxSMSError]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
