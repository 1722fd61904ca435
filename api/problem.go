package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/store"
)

// Problem is an RFC 9457 problem details body. Title and Detail are in
// the reader's language (Accept-Language, else the deployment's
// notify.language); Type and Code are stable English identifiers a client
// matches on ("not_found", "no_such_route", "bad_cursor").
type Problem struct {
	Type      string `json:"type"`
	Code      string `json:"code"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Instance  string `json:"instance,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	// Errors lists field or row errors when there are several.
	Errors []FieldError `json:"errors,omitempty"`
}

// FieldError names one bad input: Field, a stable Code a client matches
// on ("too_long", "bad_date", "future_date"; the same in every language)
// and Detail, in the reader's language. Handlers make them with fieldErr
// (a catalogue key) or fieldOf (a catalogue error from internal/plant or
// internal/store); writeProblem says them in the reader's language.
// Technical, when set, is a component's own line about it, in English (a
// reading refused by HTTP ingest: the ingester's).
type FieldError struct {
	Field     string `json:"field,omitempty"`
	Code      string `json:"code"`
	Detail    string `json:"detail"`
	Technical string `json:"technical,omitempty"`
	err       error  // what Detail says, in any language
}

// fieldErr is field's error the catalogue message key ("field.too_long")
// says with args; its code is the key's second part.
func fieldErr(field, key string, args ...any) FieldError {
	return fieldOf(field, i18n.Errorf(key, args...))
}

// fieldOf is field's error err, an i18n.Error for its code and words in
// the reader's language (any other error is "invalid", in English).
func fieldOf(field string, err error) FieldError {
	return FieldError{Field: field, Code: errCode(err), Detail: err.Error(), err: err}
}

// errCode is err's stable code: its catalogue key's second part, else
// "invalid".
func errCode(err error) string {
	if c := i18n.ErrCode(err); c != "" {
		return c
	}
	return "invalid"
}

// in says f in l.
func (f FieldError) in(l i18n.Lang) FieldError {
	if f.err != nil {
		f.Detail = i18n.Text(f.err, l)
	}
	return f
}

// fieldsOf turns the i18n.FieldErrors of a plant or store check into the
// API's, or nil when err has none.
func fieldsOf(err error) invalidFields {
	var out invalidFields
	for _, fe := range i18n.Fields(err) {
		out = append(out, fieldOf(fe.Field, fe.Err))
	}
	return out
}

// problem writes an application/problem+json answer whose detail is a
// text made elsewhere (an error's); its code is the status's.
func problem(w http.ResponseWriter, r *http.Request, status int, detail string, errs ...FieldError) {
	writeProblem(w, r, status, statusCode(status), detail, errs)
}

// problemT writes a problem whose detail is the catalogue message key
// ("api.no_such_route") in the reader's language; its code is the key
// without "api.".
func problemT(w http.ResponseWriter, r *http.Request, status int, key string, args ...any) {
	problemFields(w, r, status, key, nil, args...)
}

// problemFields is problemT with the field or row errors errs.
func problemFields(w http.ResponseWriter, r *http.Request, status int, key string, errs []FieldError, args ...any) {
	writeProblem(w, r, status, strings.TrimPrefix(key, "api."), i18n.Msg(key, args...).In(requestLang(r)), errs)
}

// problemErr writes a problem whose detail is err, in the reader's
// language when err is an i18n.Error (its key's second part is the code).
func problemErr(w http.ResponseWriter, r *http.Request, status int, err error, errs ...FieldError) {
	code := statusCode(status)
	if c := i18n.ErrCode(err); c != "" {
		code = c
	}
	writeProblem(w, r, status, code, i18n.Text(err, requestLang(r)), errs)
}

func writeProblem(w http.ResponseWriter, r *http.Request, status int, code, detail string, errs []FieldError) {
	l := requestLang(r)
	said := make([]FieldError, len(errs))
	for i, f := range errs {
		said[i] = f.in(l)
	}
	if len(said) == 0 {
		said = nil
	}
	p := Problem{
		Type:      "about:blank",
		Code:      code,
		Title:     statusTitle(status, requestLang(r)),
		Status:    status,
		Detail:    detail,
		Instance:  r.URL.Path,
		RequestID: middleware.GetReqID(r.Context()),
		Errors:    said,
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Add("Vary", "Accept-Language")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

// statusKeys are the catalogue keys of the statuses' titles; RFC 9457 lets
// an about:blank problem's title be the status phrase in the reader's
// language.
var statusKeys = map[int]string{
	400: "api.status.400", 401: "api.status.401", 403: "api.status.403", 404: "api.status.404",
	405: "api.status.405", 409: "api.status.409", 413: "api.status.413", 429: "api.status.429",
	500: "api.status.500", 501: "api.status.501", 503: "api.status.503",
}

func statusTitle(status int, l i18n.Lang) string {
	if k, ok := statusKeys[status]; ok {
		return i18n.New(l).T(k)
	}
	return http.StatusText(status)
}

// statusCode is the status phrase as an identifier: "not_found".
func statusCode(status int) string {
	return strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_")
}

type defaultLangKey struct{}

// withDefaultLang gives every request the deployment's language, for the
// problems of readers whose Accept-Language names none of ours.
func withDefaultLang(def i18n.Lang) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), defaultLangKey{}, def)))
		})
	}
}

// requestLang is the reader's language: Accept-Language, else the
// deployment's, else English.
func requestLang(r *http.Request) i18n.Lang {
	def, _ := r.Context().Value(defaultLangKey{}).(i18n.Lang)
	return i18n.MatchOr(def, r.Header.Get("Accept-Language"))
}

// fail answers for an error from a dependency: the sentinel it wraps picks
// the status; anything unknown is logged and answered with a bare 500.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var maxErr *http.MaxBytesError
	var fields invalidFields
	switch {
	case errors.Is(err, ErrNotFound):
		problemT(w, r, http.StatusNotFound, "api.not_found")
	case errors.As(err, &fields):
		fields.answer(w, r)
	case len(fieldsOf(err)) > 0:
		fieldsOf(err).answer(w, r)
	case errors.Is(err, ErrInvalid):
		problemErr(w, r, http.StatusBadRequest, err)
	case errors.Is(err, errOutsideRegions):
		problemErr(w, r, http.StatusForbidden, err)
	case errors.Is(err, ErrConflict):
		problemErr(w, r, http.StatusConflict, err)
	case errors.Is(err, store.ErrAudit):
		s.log.Error("audit entry not written", "request_id", middleware.GetReqID(r.Context()), "path", r.URL.Path, "err", err)
		problemT(w, r, http.StatusInternalServerError, "api.audit_failed", err)
	case errors.As(err, &maxErr):
		problemT(w, r, http.StatusRequestEntityTooLarge, "api.body_too_large_plain")
	case errors.Is(err, r.Context().Err()) && r.Context().Err() != nil:
		problemT(w, r, http.StatusServiceUnavailable, "api.timeout")
	default:
		s.log.Error("request failed", "request_id", middleware.GetReqID(r.Context()), "path", r.URL.Path, "err", err)
		problemT(w, r, http.StatusInternalServerError, "api.internal")
	}
}

// notConfigured answers 501 naming what this server lacks: part is the
// catalogue key of its name ("api.part.work_orders"), so the whole sentence
// is in the reader's language.
func notConfigured(w http.ResponseWriter, r *http.Request, part string) {
	problemT(w, r, http.StatusNotImplemented, "api.not_configured", i18n.Msg(part))
}
