package api

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/go-chi/chi/v5"
)

//go:embed web
var webFiles embed.FS

// dashboard serves the built-in dashboard: static files only, no data; the
// page calls the API with the token the user logs in with.
func (s *server) dashboard(r chi.Router) {
	sub, _ := fs.Sub(webFiles, "web")
	files := http.FileServerFS(sub)
	secure := func(w http.ResponseWriter) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
	}
	r.Get("/", func(w http.ResponseWriter, req *http.Request) {
		secure(w)
		http.ServeFileFS(w, req, sub, "index.html")
	})
	r.Get("/ui/i18n/{file}", func(w http.ResponseWriter, req *http.Request) {
		secure(w)
		s.webCatalogue(w, req)
	})
	r.Get("/ui/*", func(w http.ResponseWriter, req *http.Request) {
		secure(w)
		http.StripPrefix("/ui", files).ServeHTTP(w, req)
	})
}
