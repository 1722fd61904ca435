package notify

import (
	"context"
	"net/http"
)

// DeviceSMS takes SMS sent by devices: alarm modules of oxygen plants that
// report by SMS only ("PSA1 ALARM LOW PURITY 85%"). The application
// implements it with the registry (a device's sms_number), the text
// patterns and the ingester (issue 19).
type DeviceSMS interface {
	// DeviceSMS handles text from number (E.164). handled is false when
	// number is no device's: the SMS is then read as a reply (ACK). result
	// names the outcome for oxywatch_notify_inbound_sms_total (prefixed
	// device_). err is set only when the SMS could not be made durable:
	// the provider is then asked to send it again.
	DeviceSMS(ctx context.Context, number, text string) (result string, handled bool, err error)
}

// Results of device SMS, counted with the prefix device_.
const (
	DeviceSMSReading   = "reading"   // read and ingested
	DeviceSMSUnmatched = "unmatched" // no pattern read it: counted, kept as the device's last error
	DeviceSMSRejected  = "rejected"  // read, but the reading was rejected (out of range, unknown device)
	DeviceSMSError     = "error"     // not durable: 503, the provider retries
)

// inboundDevice offers an authenticated SMS to devices and answers it when
// a device sent it; it reports whether it did.
func (s *Service) inboundDevice(w http.ResponseWriter, r *http.Request, devices DeviceSMS, from, text string) bool {
	result, handled, err := devices.DeviceSMS(r.Context(), from, text)
	if !handled {
		return false
	}
	s.m.inbound.WithLabelValues("device_" + result).Inc()
	if err != nil {
		s.log.Error("notify: an alarm SMS from a device could not be stored durably; asking the provider to send it again", "from", maskPhone(from), "err", err)
		w.Header().Set("Retry-After", "60")
		http.Error(w, "not stored, send again", http.StatusServiceUnavailable)
		return true
	}
	inboundOK(w, r.PostForm.Has("MessageSid") || r.Header.Get("X-Twilio-Signature") != "")
	return true
}
