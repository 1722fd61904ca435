package ingest

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// HandlePayload: the MQTT decoder's results, counted and recorded, with
// what was accepted and why the rest was not.
func TestHandlePayload(t *testing.T) {
	h := newHarness(true)
	ctx := context.Background()
	ts := testNow.Add(-time.Minute).Unix()
	res, err := h.in.HandlePayload(ctx, "psa-001", []byte(`[{"ts":`+itoa(ts)+`,"purity_pct":93},{"ts":`+itoa(ts+1)+`,"purity_pct":140}]`))
	if err != nil || res.Accepted != 1 || len(res.Rejected) != 1 || res.Rejected[0].Reason != ReasonOutOfRange || res.Rejected[0].Index != 1 || !res.Backlog {
		t.Fatalf("backlog: %+v %v", res, err)
	}
	if h.buf.lines != 1 || h.rec.live+h.rec.backlog != 1 {
		t.Errorf("buffered %d lines, consumer saw %d readings; want 1 and 1", h.buf.lines, h.rec.live+h.rec.backlog)
	}
	if st, _ := h.in.Fleet().Get("psa-001"); !strings.Contains(st.LastError, "out_of_range") {
		t.Errorf("last error %q", st.LastError)
	}
	res, _ = h.in.HandlePayload(ctx, "conc-9", []byte(`{"purity_pct":92}`))
	if res.Accepted != 0 || len(res.Rejected) != 1 || res.Rejected[0].Reason != ReasonUnknownDevice {
		t.Errorf("unknown device with unknown_devices reject: %+v", res)
	}
	res, _ = h.in.HandlePayload(ctx, "bad/id", []byte(`{"purity_pct":92}`))
	if len(res.Rejected) != 1 || res.Rejected[0].Reason != ReasonBadDeviceID {
		t.Errorf("bad device id: %+v", res)
	}
	// Not durable: an error, nothing delivered.
	h.buf.fail = errors.New("no space left on device")
	before := h.rec.live
	if _, err := h.in.HandlePayload(ctx, "psa-001", []byte(`{"purity_pct":93}`)); err == nil {
		t.Error("a failed append was not an error")
	}
	if h.rec.live != before {
		t.Error("a reading that was not made durable reached the consumer")
	}
}

// HandleEvent takes a reading with no measured value (an SMS "POWER FAIL")
// and stamps it with the time received.
func TestHandleEvent(t *testing.T) {
	h := newHarness(false)
	res, err := h.in.HandleEvent(context.Background(), "psa-001", []plant.Reading{{Power: plant.PowerNone}})
	if err != nil || res.Accepted != 1 || h.buf.lines != 1 || h.rec.live != 1 {
		t.Fatalf("event: %+v %v; %d lines, %d live", res, err, h.buf.lines, h.rec.live)
	}
	st, _ := h.in.Fleet().Get("psa-001")
	if st.LastReading == nil || !st.LastReading.Time.Equal(testNow) || st.LastReading.Power != plant.PowerNone {
		t.Errorf("last reading %+v", st.LastReading)
	}
	h.in.RejectInput("psa-001", ReasonSMSUnmatched, `SMS not understood: "VALVE STUCK"`)
	if st, _ := h.in.Fleet().Get("psa-001"); !strings.Contains(st.LastError, "VALVE STUCK") {
		t.Errorf("last error %q", st.LastError)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
