package api

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/report"
)

// csvColumns are the registry's columns, in export order; the import accepts
// them in any order (case-insensitive), needs id, and ignores others.
// commissioned_at and decommissioned_at are dates (2024-03-15, midnight UTC)
// or RFC 3339 times; beds is the device's facility's bed count (the facility
// is created, or its beds updated); sms_number is the E.164 number its alarm
// module texts from (spaces, dashes and a spreadsheet's leading ' are
// dropped); use and measurement_point choose the device's alert thresholds
// and, like kind, may be written as a code or a name in English, French or
// Portuguese (empty: the default).
var csvColumns = []string{"id", "kind", "model", "facility", "region", "country", "rated_flow_lpm", "report_interval_s",
	"commissioned_at", "decommissioned_at", "beds", "sms_number", "use", "measurement_point"}

// maxImportRows bounds one import.
const maxImportRows = 100000

// ImportResult is the answer of POST /devices/import.
type ImportResult struct {
	Created        int        `json:"created"`
	Updated        int        `json:"updated"`
	Rejected       int        `json:"rejected"`
	Errors         []RowError `json:"errors"`
	IgnoredColumns []string   `json:"ignored_columns,omitempty"`
	lang           i18n.Lang  // of the row errors
}

// RowError says why one row was not imported. Row is the line number in the
// file (the header is line 1); Code is a stable code a client matches on
// (the first of the row's errors: "not_number", "bad_date", …) and Error
// the reason in the reader's language, naming the column.
type RowError struct {
	Row   int    `json:"row"`
	ID    string `json:"id,omitempty"`
	Code  string `json:"code"`
	Error string `json:"error"`
}

func (s *server) importDevices(w http.ResponseWriter, r *http.Request) {
	s.importRows(w, r, csvColumns, func(fields []string, cols map[string]int) (bool, error) {
		d, beds, err := rowDevice(fields, cols, s.readerPrinter(r))
		if err != nil {
			return false, badRow{err}
		}
		if old, err := s.opt.Registry.Get(r.Context(), d.ID); err == nil {
			keepAbsent(cols, &d, old, deviceCells)
		} else if !errors.Is(err, ErrNotFound) {
			return false, err
		}
		if beds >= 0 && d.Facility == "" {
			return false, badRow{i18n.Field("beds", "field.required.facility")}
		}
		created, err := s.saveDevice(r, d)
		if err == nil && beds >= 0 {
			err = s.saveBeds(r, d, beds)
		}
		return created, err
	})
}

// saveRow reads one row and saves it; what is wrong with the row itself
// comes back as a badRow.
type saveRow func(fields []string, cols map[string]int) (created bool, err error)

// badRow is a row that cannot be read; the import reports it and goes on.
type badRow struct{ err error }

func (b badRow) Error() string { return b.err.Error() }

func (b badRow) Unwrap() error { return b.err }

// importRows is a CSV import: the body read and parsed against columns,
// each row saved, the answer counting rows created, updated and rejected.
func (s *server) importRows(w http.ResponseWriter, r *http.Request, columns []string, save saveRow) {
	s.importRowsThen(w, r, columns, nil, save)
}

// importRowsThen is importRows calling finish (when not nil) after the
// last row and before the answer.
func (s *server) importRowsThen(w http.ResponseWriter, r *http.Request, columns []string, finish func() error, save saveRow) {
	if s.opt.Registry == nil {
		notConfigured(w, r, "api.part.device_registry")
		return
	}
	body, ok := s.importBody(w, r)
	if !ok {
		return
	}
	rows, cols, ignored, err := parseInventory(body, columns)
	if err != nil {
		problemErr(w, r, http.StatusBadRequest, err)
		return
	}
	res := ImportResult{Errors: []RowError{}, IgnoredColumns: ignored, lang: requestLang(r)}
	for _, row := range rows {
		if row.err != nil {
			res.reject(row.line, row.id, row.err)
			continue
		}
		created, err := save(row.fields, cols)
		if bad := (badRow{}); errors.As(err, &bad) {
			res.reject(row.line, row.id, bad.err)
			continue
		}
		if err := res.record(row.line, row.id, created, err); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if finish != nil {
		if err := finish(); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, res)
}

// importBody reads an import's body, answering 413 or 400 itself when it
// cannot.
func (s *server) importBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opt.MaxImportBytes))
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		problemT(w, r, http.StatusRequestEntityTooLarge, "api.csv_too_large", s.opt.MaxImportBytes)
		return nil, false
	}
	if err != nil {
		problemT(w, r, http.StatusBadRequest, "api.read_body", err)
		return nil, false
	}
	return body, true
}

// record counts one saved row, or keeps its error when the row itself was
// wrong or outside the caller's regions; any other error stops the import.
func (res *ImportResult) record(line int, id string, created bool, err error) error {
	switch {
	case err == nil && created:
		res.Created++
	case err == nil:
		res.Updated++
	case errors.Is(err, ErrInvalid), errors.Is(err, errOutsideRegions):
		res.reject(line, id, err)
	default:
		return fmt.Errorf("import line %d: %w", line, err)
	}
	return nil
}

// reject counts a row not imported, keeping why in the reader's language.
func (res *ImportResult) reject(line int, id string, err error) {
	res.Rejected++
	res.Errors = append(res.Errors, RowError{Row: line, ID: id, Code: rowCode(err), Error: i18n.Text(err, res.lang)})
}

// rowCode is the code of a row's error: its first field error's, else its
// catalogue error's, else "invalid".
func rowCode(err error) string {
	var fields invalidFields
	if errors.As(err, &fields) && len(fields) > 0 {
		return fields[0].Code
	}
	return errCode(err)
}

type csvRow struct {
	line   int
	id     string
	fields []string
	err    error
}

// parseInventory reads a ministry inventory of the given columns: UTF-8 (a
// BOM is dropped), comma or semicolon separated, header first. A file-level
// problem (no header, no id column) is an error; a bad row is a row with err
// set.
func parseInventory(body []byte, columns []string) ([]csvRow, map[string]int, []string, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(body, []byte("\xff\xfe")) || bytes.HasPrefix(body, []byte("\xfe\xff")) {
		return nil, nil, nil, i18n.Errorf("api.csv_utf16")
	}
	rd := csv.NewReader(bytes.NewReader(body))
	rd.FieldsPerRecord = -1
	rd.Comma = guessComma(body)
	header, err := rd.Read()
	if err != nil {
		return nil, nil, nil, i18n.Errorf("api.csv_no_header", err.Error())
	}
	cols, ignored, err := headerColumns(header, columns)
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
			return nil, nil, nil, i18n.Errorf("api.csv_too_many_rows", maxImportRows)
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			rows = append(rows, csvRow{line: pe.StartLine, err: i18n.Errorf("field.csv_malformed", pe.Err.Error())})
			continue
		}
		if err != nil {
			return nil, nil, nil, i18n.Errorf("api.csv_read", err.Error())
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
			row.err = i18n.Errorf("field.not_utf8.row")
		} else if len(rec) > len(header) {
			row.err = i18n.Errorf("field.csv_fields", len(rec), len(header))
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

func headerColumns(header, columns []string) (map[string]int, []string, error) {
	cols := map[string]int{}
	var ignored []string
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if !utf8.ValidString(name) {
			return nil, nil, i18n.Errorf("api.csv_header_utf8")
		}
		known := false
		for _, c := range columns {
			known = known || c == name
		}
		if !known {
			ignored = append(ignored, name)
			continue
		}
		if _, dup := cols[name]; dup {
			return nil, nil, i18n.Errorf("api.csv_column_twice", name)
		}
		cols[name] = i
	}
	if _, ok := cols["id"]; !ok {
		return nil, nil, i18n.Errorf("api.csv_no_id", strings.Join(columns, ","))
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

// cells reads one row's cells by column name, trimmed, a spreadsheet's
// formula guard removed; a missing column reads "".
type cells struct {
	rec  []string
	cols map[string]int
}

// keepAbsent gives a record being imported over a stored one the stored
// value of every column the file does not have: a file of a few columns
// (id, facility, region…) changes those and leaves, say, a device's SMS
// number or a facility's beds by category as they were. A column the file
// has is taken as it is, an empty cell included (which clears the value).
func keepAbsent[T any](cols map[string]int, rec *T, stored T, fields map[string]func(to, from *T)) {
	for col, copyField := range fields {
		if _, ok := cols[col]; !ok {
			copyField(rec, &stored)
		}
	}
}

// deviceCells copy one device column's field (keepAbsent).
var deviceCells = map[string]func(to, from *plant.Device){
	"kind":              func(to, from *plant.Device) { to.Kind = from.Kind },
	"model":             func(to, from *plant.Device) { to.Model = from.Model },
	"facility":          func(to, from *plant.Device) { to.Facility = from.Facility },
	"region":            func(to, from *plant.Device) { to.Region = from.Region },
	"country":           func(to, from *plant.Device) { to.Country = from.Country },
	"rated_flow_lpm":    func(to, from *plant.Device) { to.RatedFlowLPM = from.RatedFlowLPM },
	"report_interval_s": func(to, from *plant.Device) { to.ReportIntervalS = from.ReportIntervalS },
	"commissioned_at":   func(to, from *plant.Device) { to.CommissionedAt = from.CommissionedAt },
	"decommissioned_at": func(to, from *plant.Device) { to.DecommissionedAt = from.DecommissionedAt },
	"sms_number":        func(to, from *plant.Device) { to.SMSNumber = from.SMSNumber },
	"use":               func(to, from *plant.Device) { to.Use = from.Use },
	"measurement_point": func(to, from *plant.Device) { to.MeasurementPoint = from.MeasurementPoint },
}

func (c cells) get(name string) string {
	if i, ok := c.cols[name]; ok && i < len(c.rec) {
		return unneutralise(strings.TrimSpace(c.rec[i]))
	}
	return ""
}

// float reads a number (a decimal comma is accepted) into *dst; empty leaves it.
func (c cells) float(name string, dst *float64) error {
	v := c.get(name)
	if v == "" {
		return nil
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", "."), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return i18n.Field(name, "field.not_number", v)
	}
	*dst = f
	return nil
}

// int reads a whole number into *dst; empty leaves it.
func (c cells) int(name string, dst *int) error {
	v := c.get(name)
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return i18n.Field(name, "field.not_integer", v)
	}
	*dst = n
	return nil
}

// time reads a date (midnight UTC) or an RFC 3339 time into *dst; empty
// leaves it.
func (c cells) time(name string, dst *time.Time) error {
	v := c.get(name)
	if v == "" {
		return nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		*dst = t
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return i18n.Field(name, "field.bad_date.csv", v)
	}
	*dst = t.UTC()
	return nil
}

// rowDevice builds a device from one row; an empty kind is unknown and an
// empty number is zero. beds is the row's beds for the device's facility,
// -1 when the row gives none. tr writes what is wrong in the reader's
// language.
func rowDevice(rec []string, cols map[string]int, tr *i18n.Printer) (d plant.Device, beds int, err error) {
	c := cells{rec, cols}
	d = plant.Device{ID: plant.DeviceID(c.get("id")), Model: c.get("model"),
		Facility: c.get("facility"), Region: c.get("region"), Country: c.get("country"), SMSNumber: phoneCell(c.get("sms_number"))}
	kind, kindErr := parseKind(tr, c.get("kind"))
	d.Kind = kind
	use, useErr := parseCode(tr, "use", c.get("use"), useCodes)
	point, pointErr := parseCode(tr, "measurement_point", c.get("measurement_point"), pointCodes)
	d.Use, d.MeasurementPoint = plant.Use(use), plant.Point(point)
	beds = -1
	err = errors.Join(kindErr, useErr, pointErr, c.float("rated_flow_lpm", &d.RatedFlowLPM), c.int("report_interval_s", &d.ReportIntervalS),
		c.time("commissioned_at", &d.CommissionedAt), c.time("decommissioned_at", &d.DecommissionedAt), c.int("beds", &beds))
	if err == nil && beds < -1 {
		err = i18n.Field("beds", "field.negative.value", strconv.Itoa(beds))
	}
	return d, beds, err
}

// kindCodes are the kinds a CSV may name, as strings for i18n.ParseName.
var kindCodes = func() []string {
	var cs []string
	for _, k := range plant.Kinds {
		cs = append(cs, string(k))
	}
	return cs
}()

// parseKind reads a kind written as its code or its name in English,
// French or Portuguese, any case, with or without accents ("psa",
// "concentrateur", "Concentrador", "usine PSA", "réservoir d'oxygène
// liquide"); empty is unknown. An unknown word is an error naming the
// column and the words accepted, in tr's language.
func parseKind(tr *i18n.Printer, word string) (plant.Kind, error) {
	if strings.TrimSpace(word) == "" {
		return plant.KindUnknown, nil
	}
	code, ok := i18n.ParseName("kind", word, kindCodes)
	if !ok {
		named := kindCodes[:len(kindCodes)-1] // not "unknown": leave it empty instead
		return "", i18n.Errorf("csv.unknown_kind", "kind", word, strings.Join(tr.Names("kind", named), ", "), strings.Join(named, ", "))
	}
	return plant.Kind(code), nil
}

// readerPrinter writes in the language of the request's reader
// (Accept-Language), else the deployment's.
func (s *server) readerPrinter(r *http.Request) *i18n.Printer {
	return i18n.New(i18n.MatchOr(s.defaultLang(), r.Header.Get("Accept-Language")))
}

// saveBeds sets the bed count of d's facility, creating the facility (named
// by its id, in d's region and country) when the registry has none.
func (s *server) saveBeds(r *http.Request, d plant.Device, beds int) error {
	f, found, err := s.facility(r, d.Facility)
	if err != nil {
		return err
	}
	if found && f.Beds == beds {
		return nil
	}
	if !found {
		f = plant.Facility{ID: d.Facility, Name: d.Facility, Region: d.Region, Country: d.Country}
	}
	f.Beds = beds
	_, err = s.saveFacility(r, f)
	return err
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
func (s *server) exportCSV(w http.ResponseWriter, r *http.Request, devs []plant.Device) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="oxywatch-devices.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write(append(append([]string{}, csvColumns...), "status", "last_seen"))
	beds := s.facilityBeds(r)
	for _, d := range devs {
		t := report.CSVText
		bedCell := ""
		if n, ok := beds[d.Facility]; ok && n > 0 {
			bedCell = strconv.Itoa(n)
		}
		_ = cw.Write([]string{t(string(d.ID)), t(string(d.Kind)), t(d.Model), t(d.Facility), t(d.Region), t(d.Country),
			strconv.FormatFloat(d.RatedFlowLPM, 'f', -1, 64), strconv.Itoa(d.ReportIntervalS),
			csvTime(d.CommissionedAt), csvTime(d.DecommissionedAt), bedCell, d.SMSNumber, // E.164 (validated): + and digits only
			string(d.UseOrDefault()), string(d.PointOrDefault()), // codes (validated)
			t(string(d.Status)), csvTime(d.LastSeen)})
	}
	cw.Flush()
}

// facilityBeds maps facility ids to beds; empty when the registry cannot say.
func (s *server) facilityBeds(r *http.Request) map[string]int {
	out := map[string]int{}
	facs, err := s.opt.Registry.Facilities(r.Context())
	if err != nil {
		return out
	}
	for _, f := range facs {
		out[f.ID] = f.Beds
	}
	return out
}

// phoneCell reads a phone number cell as a person types it ("+265 991-000
// 111") or a spreadsheet keeps it ("'+265991000111").
func phoneCell(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "'")
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' {
			return -1
		}
		return r
	}, s)
}

// csvTime is an RFC 3339 UTC cell, empty for the zero time.
func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
