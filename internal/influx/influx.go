package influx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"
	influxhttp "github.com/influxdata/influxdb-client-go/v2/api/http"

	"github.com/oxywatch/oxywatch/internal/config"
)

// Options locate the InfluxDB bucket (1.8: token "user:password" or
// empty, org empty, bucket "db/rp").
type Options struct {
	URL, Token, Org, Bucket string
	Timeout                 time.Duration
	// CreateDB creates the 1.8 database named by Bucket when writes find it
	// missing (1.8 answers 404 to writes into a database that does not exist).
	CreateDB bool
}

// OptionsFrom takes the options from the configuration, for every
// command that reaches InfluxDB.
func OptionsFrom(c config.Influx) Options {
	return Options{URL: c.URL, Token: c.Token, Org: c.Org, Bucket: c.Bucket, Timeout: c.Timeout, CreateDB: c.CreateDB}
}

// Client writes line protocol to InfluxDB through the blocking write API and
// queries it with Flux. Retrying is the caller's business: the durable buffer
// keeps what is not yet written.
type Client struct {
	opts   Options
	client influxdb2.Client
	write  api.WriteAPIBlocking
	query  api.QueryAPI
	http   *http.Client
}

// New builds the client. It does not contact the server.
func New(opts Options) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	hc := &http.Client{Timeout: opts.Timeout}
	o := influxdb2.DefaultOptions().
		SetUseGZip(useGzip(opts.URL)).
		SetPrecision(time.Millisecond).
		SetHTTPClient(hc).
		SetMaxRetries(0).
		SetLogLevel(0)
	c := influxdb2.NewClientWithOptions(strings.TrimRight(opts.URL, "/"), opts.Token, o)
	return &Client{
		opts:   opts,
		client: c,
		write:  c.WriteAPIBlocking(opts.Org, opts.Bucket),
		query:  c.QueryAPI(opts.Org),
		http:   hc,
	}
}

// useGzip tells whether writes to the InfluxDB at rawURL are gzipped: not on
// loopback (localhost, 127.0.0.0/8, ::1), where bytes cost nothing and
// compressing them cost about 6 % of the ingest path's CPU per reading in
// BenchmarkIngest; yes elsewhere, where the link is what is scarce. A URL
// that does not parse keeps gzip on (the write will say what is wrong).
func useGzip(rawURL string) bool {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return true
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// WriteError is a write InfluxDB refused or could not take.
type WriteError struct {
	Status int    // HTTP status; 0 for network errors
	Msg    string // the answer's message, on one line and shortened
	// FromInfluxDB tells an answer from InfluxDB (its X-Influxdb-* headers,
	// or a 2.x JSON error) from one made by something in between, such as a
	// proxy's error page.
	FromInfluxDB bool
	// Refusal is set when InfluxDB refused the content of lines it was sent
	// (one of the Refused* names); empty when the write may succeed later as
	// it is. AllLines says InfluxDB stored none of the lines sent because it
	// refused every one of them; otherwise some may have been stored.
	Refusal  string
	AllLines bool
	Err      error
}

// The reasons InfluxDB gives for refusing lines, as short names for metric
// labels and the dead-letter file.
const (
	RefusedParse     = "parse_error"         // not valid line protocol
	RefusedFieldType = "field_type_conflict" // a field's type differs from the stored one
	RefusedRetention = "beyond_retention"    // older than the retention policy keeps
	RefusedLimit     = "series_limit"        // max-series-per-database or max-values-per-tag
	RefusedTooLarge  = "too_large"           // a single line larger than the server takes
	RefusedOther     = "refused"             // any other refusal of content
)

// RefusalReasons lists every Refusal value.
func RefusalReasons() []string {
	return []string{RefusedParse, RefusedFieldType, RefusedRetention, RefusedLimit, RefusedTooLarge, RefusedOther}
}

func (e *WriteError) Error() string {
	switch {
	case e.Status == 0:
		return fmt.Sprintf("influxdb write: %v", e.Err)
	case !e.FromInfluxDB && e.Status/100 == 4:
		return fmt.Sprintf("influxdb write: %d from something other than InfluxDB (a proxy?): %s", e.Status, e.Msg)
	}
	return fmt.Sprintf("influxdb write: %d %s", e.Status, e.Msg)
}

func (e *WriteError) Unwrap() error { return e.Err }

// Refused names why InfluxDB refused the content of the lines sent (sending
// them again as they are cannot succeed), or is empty. Missing databases,
// auth problems, overload, network errors and 400s that did not come from
// InfluxDB are worth retrying: they pass, or an operator can fix them.
func (e *WriteError) Refused() string { return e.Refusal }

// AllRefused reports whether InfluxDB said it refused every line sent.
func (e *WriteError) AllRefused() bool { return e.Refusal != "" && e.AllLines }

// TooLarge reports whether the request body was too big and should be split.
func (e *WriteError) TooLarge() bool { return e.Status == http.StatusRequestEntityTooLarge }

// DatabaseMissing reports the 1.8 answer for a database that does not exist.
func (e *WriteError) DatabaseMissing() bool {
	return e.Status == http.StatusNotFound && strings.Contains(e.Msg, "database not found")
}

// Write sends lines (already line protocol, joined by '\n').
func (in *Client) Write(ctx context.Context, lines ...string) error {
	err := in.write.WriteRecord(ctx, lines...)
	if err == nil {
		return nil
	}
	var he *influxhttp.Error
	if errors.As(err, &he) && he.StatusCode != 0 {
		we := writeErrorOf(he, countLines(lines))
		if we.DatabaseMissing() && in.opts.CreateDB {
			if cerr := in.CreateDatabase(ctx); cerr != nil {
				return fmt.Errorf("%w (and creating the database failed: %v)", we, cerr)
			}
			return in.Write(ctx, lines...)
		}
		return we
	}
	return &WriteError{Err: err}
}

func countLines(lines []string) int {
	n := 0
	for _, l := range lines {
		n += strings.Count(l, "\n") + 1
	}
	return n
}

// writeErrorOf reads an error answer to a write of n lines.
//
// InfluxDB 1.8 answers 400 with a JSON body {"error": MSG} and the same
// message in the X-Influxdb-Error header (cut at 1024 bytes), which is where
// the client takes it from. It stores every line it can and names the rest:
//
//	unable to parse 'LINE': REASON (one per line, when no line parsed)
//	partial write: unable to parse 'LINE': REASON ... dropped=0
//	partial write: field type conflict: input field "F" on measurement "M" is type T, already exists as type U dropped=N
//	partial write: points beyond retention policy dropped=N
//	field type conflict (two types for a new field in one request; nothing stored)
//
// 2.x answers {"code": ..., "message": ...} with the same messages, and 422
// for points beyond retention.
func writeErrorOf(he *influxhttp.Error, n int) *WriteError {
	msg := he.Message
	if msg == "" {
		msg = he.Error()
	}
	we := &WriteError{Status: he.StatusCode, Msg: shorten(msg), Err: he, FromInfluxDB: fromInfluxDB(he)}
	switch {
	case he.StatusCode == http.StatusRequestEntityTooLarge:
		we.Refusal = RefusedTooLarge // split, whoever answered
	case !we.FromInfluxDB:
	case he.StatusCode == http.StatusBadRequest || he.StatusCode == http.StatusUnprocessableEntity:
		we.Refusal = refusalOf(msg)
		if we.Refusal == "" && he.StatusCode == http.StatusUnprocessableEntity {
			we.Refusal = RefusedOther
		}
		we.AllLines = we.Refusal != "" && refusedAll(msg, n)
	}
	return we
}

// fromInfluxDB reports whether an InfluxDB server wrote the answer: 1.x and
// 2.x set X-Influxdb-Version and X-Influxdb-Build on every answer, and
// X-Influxdb-Error on errors; a 2.x or Cloud JSON error has a code word where
// the client otherwise puts the HTTP status line ("400 Bad Request").
func fromInfluxDB(he *influxhttp.Error) bool {
	for _, h := range []string{"X-Influxdb-Version", "X-Influxdb-Build", "X-Influxdb-Error"} {
		if he.Header.Get(h) != "" {
			return true
		}
	}
	return he.Err == nil && he.Code != "" && (he.Code[0] < '0' || he.Code[0] > '9')
}

// refusalOf names a refusal of content from InfluxDB's message, or returns
// "" for any other 400 (a bad request as a whole, e.g. "database is
// required"), which is retried: refusing its lines would dead-letter
// everything.
func refusalOf(msg string) string {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "beyond retention"):
		return RefusedRetention
	case strings.Contains(m, "field type conflict"):
		return RefusedFieldType
	case strings.Contains(m, "max-series-per-database") || strings.Contains(m, "max-values-per-tag"):
		return RefusedLimit
	case strings.Contains(m, "unable to parse") || strings.Contains(m, "failed to parse"):
		return RefusedParse
	case strings.HasPrefix(m, "partial write"):
		return RefusedOther
	}
	return ""
}

// refusedAll reports whether msg says that all n lines sent were refused:
// "dropped=N" of a partial write counts them, and a parse error that is not
// a partial write names each line that failed.
func refusedAll(msg string, n int) bool {
	if strings.HasPrefix(msg, "partial write:") {
		_, count, ok := strings.Cut(msg[strings.LastIndex(msg, " ")+1:], "dropped=")
		dropped, err := strconv.Atoi(count)
		return ok && err == nil && dropped == n
	}
	return strings.Count(msg, "unable to parse '") == n
}

// shorten puts msg on one line of at most 1000 bytes, for logs and the
// dead-letter file (a proxy's error page can be long).
func shorten(msg string) string {
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > 1000 {
		msg = strings.ToValidUTF8(msg[:1000], "") + "…"
	}
	return msg
}

// CreateDatabase creates the database of a 1.8 server, named by the part of
// the bucket before '/'. It is harmless when the database exists.
func (in *Client) CreateDatabase(ctx context.Context) error {
	db, _, _ := strings.Cut(in.opts.Bucket, "/")
	q := url.Values{"q": {fmt.Sprintf("CREATE DATABASE %q", db)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(in.opts.URL, "/")+"/query", strings.NewReader(q.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user, pass, ok := strings.Cut(in.opts.Token, ":"); ok {
		req.SetBasicAuth(user, pass)
	}
	resp, err := in.http.Do(req)
	if err != nil {
		return fmt.Errorf("create database %s: %w", db, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 || strings.Contains(string(body), `"error"`) {
		return fmt.Errorf("create database %s: %d %s", db, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

// Ping reports whether the server answers.
func (in *Client) Ping(ctx context.Context) error {
	ok, err := in.client.Ping(ctx)
	if err != nil {
		return fmt.Errorf("influxdb ping: %w", err)
	}
	if !ok {
		return errors.New("influxdb ping: not ready")
	}
	return nil
}

// Query runs a Flux query.
func (in *Client) Query(ctx context.Context, flux string) (*api.QueryTableResult, error) {
	return in.query.Query(ctx, flux)
}

// Bucket is the configured bucket.
func (in *Client) Bucket() string { return in.opts.Bucket }

// Close releases the client.
func (in *Client) Close() { in.client.Close() }
