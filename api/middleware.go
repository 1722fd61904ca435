package api

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/go-chi/chi/v5/middleware"
)

// logRequests logs one line per request with its id, status and duration,
// and returns the id in X-Request-Id. It never logs headers (tokens) or
// query strings.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := middleware.GetReqID(r.Context())
		w.Header().Set("X-Request-Id", id)
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		holder := &principalHolder{}
		next.ServeHTTP(ww, r.WithContext(context.WithValue(r.Context(), holderKey{}, holder)))
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		attrs := []any{"request_id", id, "method", r.Method, "path", r.URL.Path, "status", status,
			"bytes", ww.BytesWritten(), "duration", time.Since(start)}
		if holder.p != nil {
			attrs = append(attrs, "token", holder.p.ID)
		}
		s.log.Info("http request", attrs...)
	})
}

func (s *server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panic", "request_id", middleware.GetReqID(r.Context()), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				problemT(w, r, http.StatusInternalServerError, "api.internal")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// timeout bounds each API request's context.
func (s *server) timeout(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.opt.Timeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
