// Package httppub makes firmware-sim devices talk to OxyWatch as devices
// without MQTT do: each telemetry payload (a reading or a backlog array) is
// POSTed to /api/v1/ingest/DEVICE with the device's token, and posted again
// while the server answers 429 or 503 (Retry-After) or cannot be reached.
// It also posts alarm SMS as a provider's inbound webhook would (SMS).
package httppub

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/oxywatch/oxywatch/firmware-sim/sim"
)

// Options configure the HTTP publisher.
type Options struct {
	URL string // OxyWatch base URL, e.g. http://127.0.0.1:8080
	// Tokens maps device ids to device tokens; "*" is the token of every
	// device not listed (a gateway's token).
	Tokens   map[string]string
	QueueLen int // payloads waiting per device; default 1024
	// OnResult is called once per payload: err nil when the server took it
	// (2xx), else why it was given up, with the time since Publish.
	OnResult func(latency time.Duration, err error)
	Client   *http.Client
	Log      *slog.Logger
}

// Publisher implements sim.Publisher over HTTP.
type Publisher struct{ opts Options }

// New checks the options.
func New(opts Options) (*Publisher, error) {
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--url %q is not an OxyWatch URL such as http://127.0.0.1:8080", opts.URL)
	}
	opts.URL = strings.TrimSuffix(opts.URL, "/")
	if len(opts.Tokens) == 0 {
		return nil, errors.New("no device tokens: give --device-token-file (lines DEVICE TOKEN, or one token for all devices; make them with oxywatch device-token create)")
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
	return &Publisher{opts: opts}, nil
}

// ReadTokens reads a token file: lines "DEVICE TOKEN", or a single line
// holding one token for every device. Blank lines and # comments are
// skipped.
func ReadTokens(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		switch len(fields) {
		case 1:
			out["*"] = fields[0]
		case 2:
			out[fields[0]] = fields[1]
		default:
			return nil, fmt.Errorf("%s line %d: want DEVICE TOKEN or a single TOKEN", path, n)
		}
	}
	return out, sc.Err()
}

func (p *Publisher) token(id string) string {
	if t, ok := p.opts.Tokens[id]; ok {
		return t
	}
	return p.opts.Tokens["*"]
}

// Link implements sim.Publisher.
func (p *Publisher) Link(spec sim.Spec) sim.Link {
	l := &link{p: p, id: spec.ID, token: p.token(spec.ID), log: p.opts.Log.With("device", spec.ID)}
	l.endpoint = p.opts.URL + "/api/v1/ingest/" + url.PathEscape(spec.ID)
	l.start(p.opts.QueueLen, l.send, p.opts.OnResult)
	return l
}

// link is one HTTP device: the shared queue, posting each payload.
type link struct {
	queue
	p        *Publisher
	id       string
	token    string
	endpoint string
	log      *slog.Logger
}

func (l *link) send(payload []byte) error {
	err := l.deliver(payload)
	if err != nil {
		l.log.Warn("payload given up", "err", err)
	}
	return err
}

// maxAttempts bounds how often one payload is posted.
const maxAttempts = 8

// errPermanent marks answers a retry cannot change (400, 401, 403, 413).
var errPermanent = errors.New("refused")

// deliver posts one payload until the server takes it, refuses it for
// good, or maxAttempts pass.
func (l *link) deliver(payload []byte) error {
	var last error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		wait, err := l.post(payload)
		if err == nil || errors.Is(err, errPermanent) {
			return err
		}
		last = err
		select {
		case <-l.ctx.Done():
			return fmt.Errorf("stopped before delivery: %w", last)
		case <-time.After(wait):
		}
	}
	return fmt.Errorf("gave up after %d attempts: %w", maxAttempts, last)
}

// post sends one request and says how long to wait before the next try.
func (l *link) post(payload []byte) (time.Duration, error) {
	req, err := http.NewRequestWithContext(l.ctx, http.MethodPost, l.endpoint, bytes.NewReader(payload))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errPermanent, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+l.token)
	resp, err := l.p.opts.Client.Do(req)
	if err != nil {
		return time.Second, err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	switch {
	case resp.StatusCode/100 == 2:
		return 0, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		return retryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(body))
	case resp.StatusCode >= 500:
		return 2 * time.Second, fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(body))
	}
	return 0, fmt.Errorf("%w: HTTP %d: %s", errPermanent, resp.StatusCode, bytes.TrimSpace(body))
}

// retryAfter reads a Retry-After in seconds, bounded to 1–60 s.
func retryAfter(h string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || n < 1 {
		return time.Second
	}
	return time.Duration(min(n, 60)) * time.Second
}
