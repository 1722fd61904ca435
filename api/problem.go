package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/oxywatch/oxywatch/internal/store"
)

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Instance  string `json:"instance,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	// Errors lists field or row errors when there are several.
	Errors []FieldError `json:"errors,omitempty"`
}

// FieldError names one bad input.
type FieldError struct {
	Field  string `json:"field,omitempty"`
	Detail string `json:"detail"`
}

// problem writes an application/problem+json answer.
func problem(w http.ResponseWriter, r *http.Request, status int, detail string, errs ...FieldError) {
	p := Problem{
		Type:      "about:blank",
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Instance:  r.URL.Path,
		RequestID: middleware.GetReqID(r.Context()),
		Errors:    errs,
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

// fail answers for an error from a dependency: the sentinel it wraps picks
// the status; anything unknown is logged and answered with a bare 500.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var maxErr *http.MaxBytesError
	var fields invalidFields
	switch {
	case errors.Is(err, ErrNotFound):
		problem(w, r, http.StatusNotFound, "not found")
	case errors.As(err, &fields):
		problem(w, r, http.StatusBadRequest, fields.Error(), fields...)
	case errors.Is(err, ErrInvalid):
		problem(w, r, http.StatusBadRequest, err.Error())
	case errors.Is(err, errForbidden), errors.Is(err, errOutsideRegions):
		problem(w, r, http.StatusForbidden, err.Error())
	case errors.Is(err, ErrConflict):
		problem(w, r, http.StatusConflict, err.Error())
	case errors.Is(err, store.ErrAudit):
		s.log.Error("audit entry not written", "request_id", middleware.GetReqID(r.Context()), "path", r.URL.Path, "err", err)
		problem(w, r, http.StatusInternalServerError, err.Error()+"; see the server log with this request id")
	case errors.As(err, &maxErr):
		problem(w, r, http.StatusRequestEntityTooLarge, "request body too large")
	case errors.Is(err, r.Context().Err()) && r.Context().Err() != nil:
		problem(w, r, http.StatusServiceUnavailable, "the request timed out or was cancelled")
	default:
		s.log.Error("request failed", "request_id", middleware.GetReqID(r.Context()), "path", r.URL.Path, "err", err)
		problem(w, r, http.StatusInternalServerError, "internal error; see the server log with this request id")
	}
}

func notConfigured(w http.ResponseWriter, r *http.Request, what string) {
	problem(w, r, http.StatusNotImplemented, what+" is not configured on this server")
}

// errForbidden makes fail answer 403.
var errForbidden = errors.New("forbidden")
