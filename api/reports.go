package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/report"
)

func (s *server) uptimeReport(w http.ResponseWriter, r *http.Request) {
	s.report(w, r, "uptime", []string{"device", "facility", "region", "country"})
}

func (s *server) supplyReport(w http.ResponseWriter, r *http.Request) {
	s.report(w, r, "supply", []string{"facility", "region", "country"})
}

// report answers a report in json, csv or html, limited to the caller's
// regions: the adapter is asked for those regions only, and the rows it
// returns are checked again before anything is written.
func (s *server) report(w http.ResponseWriter, r *http.Request, kind string, groups []string) {
	if s.opt.Reports == nil {
		notConfigured(w, r, "api.part.reports")
		return
	}
	q := r.URL.Query()
	rq := ReportQuery{From: q.Get("from"), To: q.Get("to"), Group: q.Get("group")}
	if rq.Group != "" && !slices.Contains(groups, rq.Group) {
		problemT(w, r, http.StatusBadRequest, "api.bad_group", strings.Join(groups, ", "))
		return
	}
	format := q.Get("format")
	if format == "" {
		format = "json"
	}
	if !slices.Contains([]string{"json", "csv", "html"}, format) {
		problemT(w, r, http.StatusBadRequest, "api.bad_format_report")
		return
	}
	lang, err := s.reportLang(r)
	if err != nil {
		problemErr(w, r, http.StatusBadRequest, err)
		return
	}
	headers := report.CSVHeaders{Lang: lang}
	switch q.Get("csv_headers") {
	case "", "machine":
	case "human":
		headers.Human = true
	default:
		problemT(w, r, http.StatusBadRequest, "api.bad_csv_headers")
		return
	}
	regions, ok := s.reportRegions(w, r)
	if !ok {
		return
	}
	rq.Regions = regions
	var rep Report
	switch kind {
	case "uptime":
		rep, err = s.opt.Reports.Uptime(r.Context(), rq)
	case "repairs":
		rep, err = s.repairs(r, rq)
	default:
		rep, err = s.opt.Reports.Supply(r.Context(), rq)
	}
	if errors.Is(err, report.ErrNoWorkOrders) {
		notConfigured(w, r, "api.part.work_orders")
		return
	}
	if errors.Is(err, report.ErrNoProduction) {
		s.noProduction(w, r, err)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := checkReportRegions(js.Bytes(), principal(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeReport(w, r, rep, format, kind, headers, js.Bytes())
}

// productionRetryAfter is the Retry-After, in seconds, of a supply report
// refused because production figures could not be read.
const productionRetryAfter = "60"

// noProduction answers 503 when production figures cannot be read
// (report.ErrNoProduction: InfluxDB down or not configured). The cause goes
// to the log, not to the caller; the answer says what still works.
func (s *server) noProduction(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Warn("supply report without production figures", "request_id", middleware.GetReqID(r.Context()), "err", err)
	w.Header().Set("Retry-After", productionRetryAfter)
	problemT(w, r, http.StatusServiceUnavailable, "api.no_production")
}

// reportLang is the language of an HTML report: ?lang=, else the best of
// Accept-Language, else the deployment's default.
func (s *server) reportLang(r *http.Request) (i18n.Lang, error) {
	l, err := i18n.Parse(r.URL.Query().Get("lang"))
	if err != nil {
		return "", fmt.Errorf("lang: %w", err)
	}
	if l != "" {
		return l, nil
	}
	return i18n.MatchOr(s.defaultLang(), r.Header.Get("Accept-Language")), nil
}

// htmlIn is a report that writes its HTML in a language (report's
// UptimeReport and SupplyReport); others write theirs as they do.
type htmlIn interface {
	WriteHTMLIn(w io.Writer, l i18n.Lang) error
}

// csvWith is a report whose CSV can have human headers.
type csvWith interface {
	WriteCSVWith(w io.Writer, h report.CSVHeaders) error
}

// reportRegions is the regions a report covers: the region query parameter
// (comma separated) within the token's regions; nil means all.
func (s *server) reportRegions(w http.ResponseWriter, r *http.Request) ([]string, bool) {
	p := principal(r)
	var asked []string
	for reg := range strings.SplitSeq(r.URL.Query().Get("region"), ",") {
		if reg = strings.TrimSpace(reg); reg != "" {
			asked = append(asked, reg)
		}
	}
	for _, reg := range asked {
		if !p.Sees(reg) {
			problemT(w, r, http.StatusForbidden, "api.region_outside", reg)
			return nil, false
		}
	}
	if len(asked) > 0 {
		return asked, true
	}
	if p.Limited() {
		return slices.Clone(p.Regions), true
	}
	return nil, true
}

// checkReportRegions refuses a report with a row of a region the caller may
// not see: a bug in an adapter must not become a leak.
func checkReportRegions(js []byte, p *Principal) error {
	if !p.Limited() {
		return nil
	}
	var body struct {
		Items []struct {
			Region string `json:"region"`
		} `json:"items"`
	}
	if err := json.Unmarshal(js, &body); err != nil {
		return fmt.Errorf("report JSON: %w", err)
	}
	for _, it := range body.Items {
		if it.Region != "" && !p.Sees(it.Region) {
			return fmt.Errorf("report adapter returned a row of region %q to a token limited to %v", it.Region, p.Regions)
		}
	}
	return nil
}

// writeReport writes rep in format: HTML in h.Lang, CSV with the headers
// h asks for.
func (s *server) writeReport(w http.ResponseWriter, r *http.Request, rep Report, format, kind string, h report.CSVHeaders, js []byte) {
	lang := h.Lang
	var buf bytes.Buffer
	var err error
	switch format {
	case "json":
		w.Header().Set("Content-Type", "application/json")
		buf.Write(js)
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="oxywatch-%s.csv"`, kind))
		if in, ok := rep.(csvWith); ok && h.Human {
			err = in.WriteCSVWith(&buf, h)
		} else {
			err = rep.WriteCSV(&buf)
		}
	case "html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Vary", "Accept-Language")
		if in, ok := rep.(htmlIn); ok {
			w.Header().Set("Content-Language", string(lang))
			err = in.WriteHTMLIn(&buf, lang)
		} else {
			err = rep.WriteHTML(&buf)
		}
	}
	if err != nil {
		w.Header().Del("Content-Disposition")
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}
