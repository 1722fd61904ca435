package api

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/report"
)

// csvColumns are the registry's columns, in export order; the import accepts
// them in any order (case-insensitive), needs id, and ignores others.
var csvColumns = []string{"id", "kind", "model", "facility", "region", "country", "rated_flow_lpm", "report_interval_s"}

// maxImportRows bounds one import.
const maxImportRows = 100000

// ImportResult is the answer of POST /devices/import.
type ImportResult struct {
	Created        int        `json:"created"`
	Updated        int        `json:"updated"`
	Rejected       int        `json:"rejected"`
	Errors         []RowError `json:"errors"`
	IgnoredColumns []string   `json:"ignored_columns,omitempty"`
}

// RowError says why one row was not imported. Row is the line number in the
// file (the header is line 1).
type RowError struct {
	Row   int    `json:"row"`
	ID    string `json:"id,omitempty"`
	Error string `json:"error"`
}

func (s *server) importDevices(w http.ResponseWriter, r *http.Request) {
	if s.opt.Registry == nil {
		notConfigured(w, r, "the device registry")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opt.MaxImportBytes))
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		problem(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("CSV file larger than %d bytes; split it", s.opt.MaxImportBytes))
		return
	}
	if err != nil {
		problem(w, r, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	rows, cols, ignored, err := parseInventory(body)
	if err != nil {
		problem(w, r, http.StatusBadRequest, err.Error())
		return
	}
	res := ImportResult{Errors: []RowError{}, IgnoredColumns: ignored}
	for _, row := range rows {
		if row.err != "" {
			res.reject(row.line, row.id, row.err)
			continue
		}
		d, err := rowDevice(row.fields, cols)
		if err != nil {
			res.reject(row.line, row.id, err.Error())
			continue
		}
		created, err := s.saveDevice(r, d)
		switch {
		case err == nil && created:
			res.Created++
		case err == nil:
			res.Updated++
		case errors.Is(err, ErrInvalid), errors.Is(err, errForbidden), errors.Is(err, errOutsideRegions):
			res.reject(row.line, row.id, err.Error())
		default:
			s.fail(w, r, fmt.Errorf("import line %d: %w", row.line, err))
			return
		}
	}
	writeJSON(w, http.StatusOK, res)
}

func (res *ImportResult) reject(line int, id, msg string) {
	res.Rejected++
	res.Errors = append(res.Errors, RowError{Row: line, ID: id, Error: msg})
}

type csvRow struct {
	line   int
	id     string
	fields []string
	err    string
}

// parseInventory reads a ministry inventory: UTF-8 (a BOM is dropped),
// comma or semicolon separated, header first. A file-level problem (no
// header, no id column) is an error; a bad row is a row with err set.
func parseInventory(body []byte) ([]csvRow, map[string]int, []string, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(body, []byte("\xff\xfe")) || bytes.HasPrefix(body, []byte("\xfe\xff")) {
		return nil, nil, nil, errors.New("the file is UTF-16; save it as CSV UTF-8")
	}
	rd := csv.NewReader(bytes.NewReader(body))
	rd.FieldsPerRecord = -1
	rd.Comma = guessComma(body)
	header, err := rd.Read()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("no CSV header row: %v", err)
	}
	cols, ignored, err := headerColumns(header)
	if err != nil {
		return nil, nil, nil, err
	}
	var rows []csvRow
	for {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		if len(rows) >= maxImportRows {
			return nil, nil, nil, fmt.Errorf("more than %d rows; split the file", maxImportRows)
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			rows = append(rows, csvRow{line: pe.StartLine, err: "malformed CSV: " + pe.Err.Error()})
			continue
		}
		if err != nil {
			return nil, nil, nil, fmt.Errorf("reading CSV: %v", err)
		}
		if blank(rec) {
			continue
		}
		line, _ := rd.FieldPos(0)
		row := csvRow{line: line, fields: append([]string(nil), rec...)}
		if i := cols["id"]; i < len(rec) {
			row.id = strings.TrimSpace(rec[i])
		}
		if !utf8.ValidString(strings.Join(rec, "")) {
			row.id = strings.ToValidUTF8(row.id, "?")
			row.err = "not valid UTF-8; save the file as CSV UTF-8"
		} else if len(rec) > len(header) {
			row.err = fmt.Sprintf("%d fields but the header has %d", len(rec), len(header))
		}
		rows = append(rows, row)
	}
	return rows, cols, ignored, nil
}

func guessComma(body []byte) rune {
	first, _, _ := bytes.Cut(body, []byte("\n"))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		return ';'
	}
	return ','
}

func headerColumns(header []string) (map[string]int, []string, error) {
	cols := map[string]int{}
	var ignored []string
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if !utf8.ValidString(name) {
			return nil, nil, errors.New("the header is not valid UTF-8; save the file as CSV UTF-8")
		}
		known := false
		for _, c := range csvColumns {
			known = known || c == name
		}
		if !known {
			ignored = append(ignored, name)
			continue
		}
		if _, dup := cols[name]; dup {
			return nil, nil, fmt.Errorf("column %q appears twice in the header", name)
		}
		cols[name] = i
	}
	if _, ok := cols["id"]; !ok {
		return nil, nil, fmt.Errorf("the header has no id column (columns: %s)", strings.Join(csvColumns, ","))
	}
	return cols, ignored, nil
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// rowDevice builds a device from one row; an empty kind is unknown and an
// empty number is zero.
func rowDevice(rec []string, cols map[string]int) (plant.Device, error) {
	get := func(name string) string {
		if i, ok := cols[name]; ok && i < len(rec) {
			return unneutralise(strings.TrimSpace(rec[i]))
		}
		return ""
	}
	d := plant.Device{ID: plant.DeviceID(get("id")), Kind: plant.Kind(strings.ToLower(get("kind"))), Model: get("model"),
		Facility: get("facility"), Region: get("region"), Country: get("country")}
	if d.Kind == "" {
		d.Kind = plant.KindUnknown
	}
	if v := get("rated_flow_lpm"); v != "" {
		f, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", "."), 64)
		if err != nil {
			return d, fmt.Errorf("rated_flow_lpm %q is not a number", v)
		}
		d.RatedFlowLPM = f
	}
	if v := get("report_interval_s"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return d, fmt.Errorf("report_interval_s %q is not a whole number", v)
		}
		d.ReportIntervalS = n
	}
	return d, nil
}

// unneutralise drops the ' that report.CSVText puts before a cell a
// spreadsheet would read as a formula, so an export imports back unchanged.
func unneutralise(v string) string {
	if rest, ok := strings.CutPrefix(v, "'"); ok && report.CSVText(rest) != rest {
		return rest
	}
	return v
}

// exportCSV writes devices in the import's columns plus status and last_seen
// (which an import ignores), so an export can be edited and imported back.
// Text cells go through report.CSVText, so a model named =HYPERLINK(…) is
// not run by the spreadsheet that opens the file; numbers stay numbers.
func (s *server) exportCSV(w http.ResponseWriter, devs []plant.Device) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="oxywatch-devices.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write(append(append([]string{}, csvColumns...), "status", "last_seen"))
	for _, d := range devs {
		seen := ""
		if !d.LastSeen.IsZero() {
			seen = d.LastSeen.UTC().Format(time.RFC3339)
		}
		t := report.CSVText
		_ = cw.Write([]string{t(string(d.ID)), t(string(d.Kind)), t(d.Model), t(d.Facility), t(d.Region), t(d.Country),
			strconv.FormatFloat(d.RatedFlowLPM, 'f', -1, 64), strconv.Itoa(d.ReportIntervalS), t(string(d.Status)), seen})
	}
	cw.Flush()
}
