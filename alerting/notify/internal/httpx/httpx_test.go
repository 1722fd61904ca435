package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPermanentStatus(t *testing.T) {
	for code, want := range map[int]bool{200: false, 400: true, 401: false, 403: false, 404: true, 408: false,
		409: false, 422: true, 429: false, 500: false, 503: false} {
		if got := PermanentStatus(code); got != want {
			t.Errorf("PermanentStatus(%d) got %v, want %v", code, got, want)
		}
	}
}

func TestCheck(t *testing.T) {
	if err := Check("p", 202, nil); err != nil {
		t.Errorf("202 got %v, want nil", err)
	}
	err := Check("p", 400, []byte("bad\n  number "+strings.Repeat("x", 300)))
	var se *StatusError
	if !errors.As(err, &se) || !se.Permanent() || se.Status != 400 || len(se.Body) > 210 || strings.Contains(se.Body, "\n") {
		t.Errorf("got %#v, want a permanent StatusError with a short one-line body", err)
	}
}

func TestPostErrorHidesURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL + "/hook/s3cret-path?key=s3cret"
	srv.Close()
	_, _, err := Post(context.Background(), nil, "gw", u, nil, []byte("{}"))
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("got %v, want an error naming the host only", err)
	}
}
