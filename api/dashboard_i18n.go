package api

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/oxywatch/oxywatch/internal/i18n"
)

// WebCatalogue is the body of GET /ui/i18n/{lang}.json: the dashboard's
// texts in one language, from the message catalogue (internal/i18n).
type WebCatalogue struct {
	Lang     string            `json:"lang"`   // en, fr or pt
	Locale   string            `json:"locale"` // for the browser's Intl: en-GB, fr-FR, pt-PT
	Default  string            `json:"default"`
	Messages map[string]string `json:"messages"`
}

// webCatalogue answers GET /ui/i18n/{lang}.json. "auto" picks from the
// request's Accept-Language, else the deployment's default language. It
// holds no data, so it needs no token: the login page is translated too.
func (s *server) webCatalogue(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(chi.URLParam(r, "file"), ".json")
	if !ok {
		http.NotFound(w, r)
		return
	}
	def := s.defaultLang()
	var l i18n.Lang
	if name == "auto" {
		l = i18n.MatchOr(def, r.Header.Get("Accept-Language"))
		w.Header().Set("Vary", "Accept-Language")
	} else {
		var err error
		if l, err = i18n.Parse(name); err != nil || l == "" {
			problemT(w, r, http.StatusNotFound, "api.no_catalogue", name)
			return
		}
	}
	writeJSON(w, http.StatusOK, WebCatalogue{Lang: string(l), Locale: i18n.Locale(l), Default: string(def), Messages: i18n.Web(l)})
}

// defaultLang is the deployment's default language (config language, else
// notify.language, else English).
func (s *server) defaultLang() i18n.Lang {
	l, _ := i18n.Parse(s.opt.Language)
	return l.Or(i18n.English)
}

// Settings is the body of GET /settings: what the deployment is set to that
// a client shows times and words with.
type Settings struct {
	TimeZone string `json:"time_zone"` // IANA zone of reports and messages, e.g. Africa/Blantyre
	Language string `json:"language"`  // default language: en, fr or pt
}

// settings answers GET /settings.
func (s *server) settings(w http.ResponseWriter, r *http.Request) {
	zone := s.opt.TimeZone
	if zone == "" {
		zone = "UTC"
	}
	writeJSON(w, http.StatusOK, Settings{TimeZone: zone, Language: string(s.defaultLang())})
}
