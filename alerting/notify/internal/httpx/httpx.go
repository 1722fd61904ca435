// Package httpx holds what the HTTP senders of notify share: one POST with
// errors that never carry a URL, header or body sent (they may hold secrets),
// and the rule telling a refusal from a failure worth retrying.
package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// UserAgent is sent with every request.
const UserAgent = "OxyWatch-notify/1"

// StatusError is a provider answer other than 2xx. Permanent reports whether
// retrying the same request cannot succeed.
type StatusError struct {
	Provider string
	Status   int
	Body     string // start of the answer, for the delivery log
	Perm     bool
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("%s answered %d", e.Provider, e.Status)
	}
	return fmt.Sprintf("%s answered %d: %s", e.Provider, e.Status, e.Body)
}

// Permanent tells notify not to retry.
func (e *StatusError) Permanent() bool { return e.Perm }

// PermanentStatus reports whether an HTTP status means the request itself is
// wrong: 4xx but 401, 403 (credentials can be fixed), 408, 409 and 429.
func PermanentStatus(code int) bool {
	switch code {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusRequestTimeout,
		http.StatusConflict, http.StatusTooManyRequests:
		return false
	}
	return code >= 400 && code < 500
}

// Post sends body to u with the headers given and returns the status and up
// to 64 KiB of the answer. A transport error names only the provider and the
// host, never the URL's path or query.
func Post(ctx context.Context, c *http.Client, provider, u string, h http.Header, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(string(body)))
	if err != nil {
		return 0, nil, fmt.Errorf("%s: build request: %w", provider, redact(err))
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", UserAgent)
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: post to %s: %w", provider, req.URL.Host, redact(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s: read answer: %w", provider, err)
	}
	return resp.StatusCode, b, nil
}

// Check turns a non-2xx status into a StatusError.
func Check(provider string, status int, body []byte) error {
	if status >= 200 && status < 300 {
		return nil
	}
	return &StatusError{Provider: provider, Status: status, Body: Snippet(body), Perm: PermanentStatus(status)}
}

// Snippet is the start of b on one line.
func Snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// redact drops the URL from a *url.Error, keeping what went wrong.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
