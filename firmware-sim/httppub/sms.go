package httppub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/oxywatch/oxywatch/firmware-sim/sim"
)

// SMSOptions configure the SMS alarm module publisher: each device with a
// number texts what changed ("PSA-1 ALARM LOW PURITY 85%", "POWER FAIL",
// "ALARM CLEAR") as an alarm module does, posted to OxyWatch's inbound-SMS
// webhook in Africa's Talking's shape (form fields from, to, text, id,
// date), as that provider would.
type SMSOptions struct {
	URL      string            // the inbound webhook with its ?token=, e.g. http://127.0.0.1:8080/api/v1/notify/sms/inbound?token=...
	Numbers  map[string]string // device id → E.164 number; devices without one send nothing
	To       string            // the short code the modules text (default 20880)
	QueueLen int
	OnResult func(latency time.Duration, err error)
	Client   *http.Client
	Log      *slog.Logger
}

// SMSPublisher implements sim.Publisher with SMS.
type SMSPublisher struct {
	opts SMSOptions
	seq  atomic.Int64
}

// NewSMS checks the options.
func NewSMS(opts SMSOptions) (*SMSPublisher, error) {
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--sms-url %q is not the inbound-SMS webhook URL (e.g. http://127.0.0.1:8080/api/v1/notify/sms/inbound?token=SECRET)", opts.URL)
	}
	if len(opts.Numbers) == 0 {
		return nil, errors.New("no SMS numbers: give --sms-numbers (CSV lines DEVICE,+E164)")
	}
	if opts.To == "" {
		opts.To = "20880"
	}
	if opts.QueueLen <= 0 {
		opts.QueueLen = 1024
	}
	if opts.OnResult == nil {
		opts.OnResult = func(time.Duration, error) {}
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &SMSPublisher{opts: opts}, nil
}

// Link implements sim.Publisher.
func (p *SMSPublisher) Link(spec sim.Spec) sim.Link {
	l := &smsLink{p: p, id: spec.ID, number: p.opts.Numbers[spec.ID], log: p.opts.Log.With("device", spec.ID)}
	l.start(p.opts.QueueLen, l.send, p.opts.OnResult)
	return l
}

// smsLink is one alarm module: the shared queue, texting what changed.
type smsLink struct {
	queue
	p      *SMSPublisher
	id     string
	number string
	log    *slog.Logger
	last   moduleState // the send goroutine's only
}

func (l *smsLink) send(payload []byte) error {
	var err error
	if l.number != "" {
		for _, text := range l.texts(payload) {
			if err = l.post(text); err != nil {
				l.log.Warn("alarm SMS given up", "text", text, "err", err)
			}
		}
	}
	return err
}

// moduleState is what the module last reported.
type moduleState struct {
	power  string
	alarms []string
}

type smsReading struct {
	Purity *float64 `json:"purity_pct"`
	Power  string   `json:"power"`
	Alarms []string `json:"alarms"`
}

// texts turns a telemetry payload into the SMS an alarm module sends for
// what changed since its last one.
func (l *smsLink) texts(payload []byte) []string {
	var rs []smsReading
	if bytes.HasPrefix(bytes.TrimSpace(payload), []byte("[")) {
		_ = json.Unmarshal(payload, &rs)
	} else {
		var r smsReading
		if json.Unmarshal(payload, &r) == nil {
			rs = append(rs, r)
		}
	}
	var out []string
	for _, r := range rs {
		out = append(out, moduleTexts(l.id, &l.last, r.Purity, r.Power, r.Alarms)...)
	}
	return out
}

// moduleTexts is what an alarm module texts when its device goes from
// *last to the reading (purity, power, alarm codes); it updates *last.
func moduleTexts(id string, last *moduleState, purity *float64, power string, alarms []string) []string {
	name := strings.ToUpper(id)
	var out []string
	for _, a := range alarms {
		if slices.Contains(last.alarms, a) {
			continue
		}
		switch {
		case a == "low_purity" && purity != nil:
			out = append(out, fmt.Sprintf("%s ALARM LOW PURITY %s%%", name, strconv.FormatFloat(*purity, 'f', 1, 64)))
		default:
			out = append(out, name+" "+strings.ToUpper(strings.ReplaceAll(a, "_", " ")))
		}
	}
	if len(alarms) == 0 && len(last.alarms) > 0 {
		out = append(out, name+" ALARM CLEAR")
	}
	if power != "" && power != last.power {
		switch {
		case power == "none":
			out = append(out, name+" POWER FAIL")
		case power == "battery":
			out = append(out, name+" ON BATTERY")
		case last.power == "none" || last.power == "battery":
			out = append(out, name+" POWER RESTORED")
		}
		last.power = power
	}
	last.alarms = slices.Clone(alarms)
	return out
}

// post sends one SMS to the webhook, again while it answers 5xx or cannot
// be reached.
func (l *smsLink) post(text string) error {
	n := l.p.seq.Add(1)
	form := url.Values{"from": {l.number}, "to": {l.p.opts.To}, "text": {text},
		"id": {fmt.Sprintf("sim-%s-%d", l.id, n)}, "date": {time.Now().UTC().Format(time.RFC3339)}}
	var last error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		req, err := http.NewRequestWithContext(l.ctx, http.MethodPost, l.p.opts.URL, strings.NewReader(form.Encode()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := l.p.opts.Client.Do(req)
		wait := time.Second
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return nil
			}
			err = fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(body))
			if resp.StatusCode < 500 {
				return err
			}
			wait = retryAfter(resp.Header.Get("Retry-After"))
		}
		last = err
		select {
		case <-l.ctx.Done():
			return last
		case <-time.After(wait):
		}
	}
	return last
}
