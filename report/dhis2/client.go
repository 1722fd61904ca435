package dhis2

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Client pushes data value sets to one DHIS2 server.
type Client struct {
	BaseURL  string // e.g. https://dhis2.health.go.ug (no /api)
	Username string // basic auth, with Password
	Password string
	Token    string // personal access token, sent as "Authorization: ApiToken …"
	HTTP     *http.Client
}

// ImportSummary is DHIS2's answer to an import.
type ImportSummary struct {
	Status      string      `json:"status"` // SUCCESS, WARNING or ERROR
	Description string      `json:"description,omitempty"`
	ImportCount ImportCount `json:"importCount"`
	Conflicts   []Conflict  `json:"conflicts,omitempty"`
}

// ImportCount counts what the import did.
type ImportCount struct {
	Imported int `json:"imported"`
	Updated  int `json:"updated"`
	Ignored  int `json:"ignored"`
	Deleted  int `json:"deleted"`
}

// Conflict is one value DHIS2 refused.
type Conflict struct {
	Object    string `json:"object"`
	Value     string `json:"value"`
	ErrorCode string `json:"errorCode,omitempty"`
}

// String reads like "SUCCESS: imported 4, updated 0, ignored 0, deleted 0".
func (s *ImportSummary) String() string {
	c := s.ImportCount
	out := fmt.Sprintf("%s: imported %d, updated %d, ignored %d, deleted %d", s.Status, c.Imported, c.Updated, c.Ignored, c.Deleted)
	for _, k := range s.Conflicts {
		out += fmt.Sprintf("\n  conflict: %s: %s", k.Object, k.Value)
	}
	return out
}

// ImportError is returned when DHIS2 refused some or all values; Summary
// holds the whole answer.
type ImportError struct{ Summary *ImportSummary }

func (e *ImportError) Error() string {
	s := e.Summary
	var parts []string
	for _, c := range s.Conflicts {
		parts = append(parts, fmt.Sprintf("%s: %s", c.Object, c.Value))
	}
	msg := fmt.Sprintf("dhis2 import %s (imported %d, updated %d, ignored %d)", s.Status, s.ImportCount.Imported, s.ImportCount.Updated, s.ImportCount.Ignored)
	if len(parts) > 0 {
		msg += ": " + strings.Join(parts, "; ")
	} else if s.Description != "" {
		msg += ": " + s.Description
	}
	return msg
}

// maxAnswer bounds how much of DHIS2's answer is read.
const maxAnswer = 8 << 20

// Push posts set to /api/dataValueSets and reads the import summary. It
// returns an *ImportError along with the summary when DHIS2 reports
// conflicts, ignored values or status ERROR.
func (c *Client) Push(ctx context.Context, set DataValueSet) (*ImportSummary, error) {
	body, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("encode data value set: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.BaseURL, "/")+"/api/dataValueSets", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("dhis2 request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	c.authorize(req)
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("push to dhis2: %w", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("read dhis2 answer: %w", err)
	}
	return readAnswer(resp.StatusCode, answer)
}

func (c *Client) authorize(req *http.Request) {
	switch {
	case c.Token != "":
		req.Header.Set("Authorization", "ApiToken "+c.Token)
	case c.Username != "":
		req.SetBasicAuth(c.Username, c.Password)
	}
}

// envelope is the 2.38+ wrapper (WebMessage) around the import summary.
type envelope struct {
	HTTPStatus     string          `json:"httpStatus"`
	HTTPStatusCode int             `json:"httpStatusCode"`
	Status         string          `json:"status"`
	Message        string          `json:"message"`
	Response       json.RawMessage `json:"response"`
}

// ErrNoSummary is returned when DHIS2 answered without an import summary.
var ErrNoSummary = errors.New("dhis2 answered without an import summary")

func readAnswer(code int, answer []byte) (*ImportSummary, error) {
	s, env, err := parseSummary(answer)
	if err != nil {
		return nil, fmt.Errorf("dhis2 answered %d: %w: %s", code, err, snippet(answer, env))
	}
	if s.Status == "ERROR" || len(s.Conflicts) > 0 || s.ImportCount.Ignored > 0 {
		return s, &ImportError{Summary: s}
	}
	if code >= 300 {
		return s, fmt.Errorf("dhis2 answered %d: %s", code, s)
	}
	return s, nil
}

// parseSummary accepts both the bare summary (before 2.38) and the wrapped one.
func parseSummary(answer []byte) (*ImportSummary, *envelope, error) {
	var env envelope
	if err := json.Unmarshal(answer, &env); err != nil {
		return nil, nil, ErrNoSummary
	}
	raw := answer
	if len(env.Response) > 0 && string(env.Response) != "null" {
		raw = env.Response
	}
	var probe struct {
		ImportCount *ImportCount `json:"importCount"`
	}
	var s ImportSummary
	if json.Unmarshal(raw, &probe) != nil || probe.ImportCount == nil || json.Unmarshal(raw, &s) != nil {
		return nil, &env, ErrNoSummary
	}
	if s.Status == "" {
		s.Status = env.Status
	}
	return &s, &env, nil
}

func snippet(answer []byte, env *envelope) string {
	if env != nil && env.Message != "" {
		return env.Message
	}
	s := string(answer)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
