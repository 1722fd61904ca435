package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"
	influxhttp "github.com/influxdata/influxdb-client-go/v2/api/http"
)

// InfluxOptions locate the InfluxDB bucket (1.8: token "user:password" or
// empty, org empty, bucket "db/rp").
type InfluxOptions struct {
	URL, Token, Org, Bucket string
	Timeout                 time.Duration
	// CreateDB creates the 1.8 database named by Bucket when writes find it
	// missing (1.8 answers 404 to writes into a database that does not exist).
	CreateDB bool
}

// Influx writes line protocol to InfluxDB through the blocking write API and
// queries it with Flux. Retrying is the caller's business: the durable buffer
// keeps what is not yet written.
type Influx struct {
	opts   InfluxOptions
	client influxdb2.Client
	write  api.WriteAPIBlocking
	query  api.QueryAPI
	http   *http.Client
}

// NewInflux builds the client. It does not contact the server.
func NewInflux(opts InfluxOptions) *Influx {
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	hc := &http.Client{Timeout: opts.Timeout}
	o := influxdb2.DefaultOptions().
		SetUseGZip(true).
		SetPrecision(time.Millisecond).
		SetHTTPClient(hc).
		SetMaxRetries(0).
		SetLogLevel(0)
	c := influxdb2.NewClientWithOptions(strings.TrimRight(opts.URL, "/"), opts.Token, o)
	return &Influx{
		opts:   opts,
		client: c,
		write:  c.WriteAPIBlocking(opts.Org, opts.Bucket),
		query:  c.QueryAPI(opts.Org),
		http:   hc,
	}
}

// WriteError is a write InfluxDB refused or could not take.
type WriteError struct {
	Status int    // HTTP status; 0 for network errors
	Msg    string // server's message
	Err    error
}

func (e *WriteError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("influxdb write: %v", e.Err)
	}
	return fmt.Sprintf("influxdb write: %d %s", e.Status, e.Msg)
}

func (e *WriteError) Unwrap() error { return e.Err }

// Permanent reports whether sending the same lines again cannot succeed: the
// server refused their content. Missing databases, auth problems, overload
// and network errors are worth retrying: an operator can fix them.
func (e *WriteError) Permanent() bool {
	return e.Status == http.StatusBadRequest || e.Status == http.StatusUnprocessableEntity
}

// TooLarge reports whether the request body was too big and should be split.
func (e *WriteError) TooLarge() bool { return e.Status == http.StatusRequestEntityTooLarge }

// DatabaseMissing reports the 1.8 answer for a database that does not exist.
func (e *WriteError) DatabaseMissing() bool {
	return e.Status == http.StatusNotFound && strings.Contains(e.Msg, "database not found")
}

// Write sends lines (already line protocol, joined by '\n').
func (in *Influx) Write(ctx context.Context, lines ...string) error {
	err := in.write.WriteRecord(ctx, lines...)
	if err == nil {
		return nil
	}
	var he *influxhttp.Error
	if errors.As(err, &he) {
		we := &WriteError{Status: he.StatusCode, Msg: he.Message, Err: err}
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

// CreateDatabase creates the database of a 1.8 server, named by the part of
// the bucket before '/'. It is harmless when the database exists.
func (in *Influx) CreateDatabase(ctx context.Context) error {
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
func (in *Influx) Ping(ctx context.Context) error {
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
func (in *Influx) Query(ctx context.Context, flux string) (*api.QueryTableResult, error) {
	return in.query.Query(ctx, flux)
}

// Bucket is the configured bucket.
func (in *Influx) Bucket() string { return in.opts.Bucket }

// Close releases the client.
func (in *Influx) Close() { in.client.Close() }
