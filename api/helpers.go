package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/oxywatch/oxywatch/internal/i18n"

	"github.com/oxywatch/oxywatch/internal/store"
)

// List is a collection answer: {"items": [...], "next": "cursor"}.
type List[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

const (
	defaultLimit = 500
	maxLimit     = 10000
)

// pageParams reads limit and cursor.
func pageParams(r *http.Request) (limit int, after string, err error) {
	limit = defaultLimit
	if s := r.URL.Query().Get("limit"); s != "" {
		limit, err = strconv.Atoi(s)
		if err != nil || limit < 1 || limit > maxLimit {
			return 0, "", i18n.Errorf("api.bad_limit", s, maxLimit)
		}
	}
	if c := r.URL.Query().Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil {
			return 0, "", i18n.Errorf("api.bad_cursor")
		}
		after = string(b)
	}
	return limit, after, nil
}

// page cuts one page from items sorted by key ascending: the items whose key
// is after the cursor's, at most limit of them, and the next cursor.
func page[T any](items []T, key func(T) string, limit int, after string) ([]T, string) {
	start := 0
	if after != "" {
		start = sort.Search(len(items), func(i int) bool { return key(items[i]) > after })
	}
	end := min(start+limit, len(items))
	out := items[start:end]
	if out == nil {
		out = []T{}
	}
	next := ""
	if end < len(items) {
		next = encodeCursor(key(items[end-1]))
	}
	return out, next
}

// descKey turns an id into a key that sorts newest (highest) first.
func descKey(id int64) string { return fmt.Sprintf("%019d", int64(1<<62)-id) }

// descTime turns a time into a fixed-width key that sorts latest first,
// for any time (before 1970 too), to the nanosecond.
func descTime(t time.Time) string {
	sec := uint64(t.Unix()) ^ 1<<63 // in the order of the signed seconds
	return fmt.Sprintf("%020d%09d", math.MaxUint64-sec, 999_999_999-t.Nanosecond())
}

// writePage answers one page of a sorted collection.
func writePage[T any](w http.ResponseWriter, r *http.Request, items []T, key func(T) string) {
	limit, after, err := pageParams(r)
	if err != nil {
		problemErr(w, r, http.StatusBadRequest, err)
		return
	}
	out, next := page(items, key, limit, after)
	writeJSON(w, http.StatusOK, List[T]{Items: out, Next: next})
}

// decode reads a JSON body of at most MaxBodyBytes into v, refusing unknown
// fields and trailing data.
func (s *server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	body := http.MaxBytesReader(w, r.Body, s.opt.MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = i18n.Errorf("api.json_trailing")
	}
	if err == nil {
		if _, e := dec.Token(); e != io.EOF {
			err = i18n.Errorf("api.json_trailing")
		}
	}
	var maxErr *http.MaxBytesError
	switch {
	case err == nil:
		return true
	case errors.As(err, &maxErr):
		problemT(w, r, http.StatusRequestEntityTooLarge, "api.body_too_large", s.opt.MaxBodyBytes)
	case errors.Is(err, io.EOF):
		problemT(w, r, http.StatusBadRequest, "api.empty_body")
	default:
		problemT(w, r, http.StatusBadRequest, "api.bad_json", err)
	}
	return false
}

// withAudit returns r's context carrying the audit entry of the change the
// handler is about to make (store.WithAudit): the store writes it in the
// change's own transaction, so the change and its entry commit together or
// neither does. detail is a string or a value written as JSON. Without an
// audit log the context is r's own.
func (s *server) withAudit(r *http.Request, action, target string, detail any) context.Context {
	if s.opt.Audit == nil {
		return r.Context()
	}
	var d string
	switch v := detail.(type) {
	case nil:
	case string:
		d = v
	default:
		b, _ := json.Marshal(v)
		d = string(b)
	}
	return store.WithAudit(r.Context(), store.AuditEntry{At: s.opt.Now(), Actor: principal(r).Actor(), Action: action, Target: target,
		Detail: d, RequestID: middleware.GetReqID(r.Context())})
}

func parseID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	s := chiParam(r, "id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		problemT(w, r, http.StatusBadRequest, "api.bad_id", s)
		return 0, false
	}
	return id, true
}

func sortBy[T any](items []T, key func(T) string) {
	sort.SliceStable(items, func(i, j int) bool { return key(items[i]) < key(items[j]) })
}

func encodeCursor(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }
