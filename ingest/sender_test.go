package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/ingest/buffer"
	"github.com/oxywatch/oxywatch/internal/influx"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

// pipe is a buffer with a running sender writing to InfluxDB at url.
type pipe struct {
	buf *buffer.Buffer
	reg *prometheus.Registry
}

func startSender(t *testing.T, w ingest.Writer) *pipe {
	t.Helper()
	b, err := buffer.Open(t.TempDir(), buffer.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	s := ingest.NewSender(ingest.SenderOptions{
		Buffer: b, Writer: w, BatchLines: 5000, MaxRetryWait: 400 * time.Millisecond,
		Linger: 10 * time.Millisecond, Registerer: reg,
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.Run(ctx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		b.Close()
	})
	return &pipe{buf: b, reg: reg}
}

func influxWriter(url, bucket string) *influx.Client {
	return influx.New(influx.Options{URL: url, Bucket: bucket, Timeout: 10 * time.Second})
}

// appendBacklogs appends one entry per backlog, as the ingester does for one
// MQTT message carrying several readings.
func (p *pipe) appendBacklogs(t *testing.T, backlogs [][]string) {
	t.Helper()
	for _, lines := range backlogs {
		if err := p.buf.Append(t.Context(), []byte(strings.Join(lines, "\n")), len(lines), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
}

// deadLetters returns the data lines of the dead-letter file, sorted.
func (p *pipe) deadLetters(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(p.buf.Dir(), "dead-letter.lp"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}

func (p *pipe) deadLetterFile(t *testing.T) string {
	t.Helper()
	b, _ := os.ReadFile(filepath.Join(p.buf.Dir(), "dead-letter.lp"))
	return string(b)
}

// metric sums the samples of name whose labels include want.
func (p *pipe) metric(t *testing.T, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := p.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	sample:
		for _, m := range mf.GetMetric() {
			for k, v := range want {
				found := false
				for _, lp := range m.GetLabel() {
					found = found || (lp.GetName() == k && lp.GetValue() == v)
				}
				if !found {
					continue sample
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// backlogs makes n messages of per readings each, from device dev-NNN, at
// millisecond timestamps from base on.
func backlogs(n, per int, base time.Time) [][]string {
	out := make([][]string, n)
	for i := range n {
		for j := range per {
			ts := base.Add(time.Duration(i*per+j) * time.Second).UnixMilli()
			out[i] = append(out[i], fmt.Sprintf("o2_reading,device=dev-%03d,kind=psa purity_pct=93.%d,flow_lpm=%d %d", i, j, 400+j, ts))
		}
	}
	return out
}

// waitSettled waits until InfluxDB holds want points or something was
// dead-lettered, and returns the count.
func waitSettled(t *testing.T, in *testenv.Influxd, p *pipe, db string, want int) int {
	t.Helper()
	got := 0
	testenv.Eventually(t, 60*time.Second, fmt.Sprintf("%d points in InfluxDB", want), func() bool {
		got, _ = in.Count(t.Context(), db, "o2_reading", "flow_lpm")
		return got >= want || (len(p.deadLetters(t)) > 0 && p.buf.Stats().Depth == 0)
	})
	return got
}

// A proxy in front of InfluxDB that answers a plain 400 (an HTML page, no
// InfluxDB headers) for a while: nothing is dead-lettered, everything is
// stored once the proxy passes the writes through again.
func TestSenderRetriesA400ThatDidNotComeFromInfluxDB(t *testing.T) {
	in := testenv.StartInfluxd(t, "oxywatch")
	target, err := url.Parse(in.URL)
	if err != nil {
		t.Fatal(err)
	}
	pass := httputil.NewSingleHostReverseProxy(target)
	until := time.Now().Add(2 * time.Second)
	var refused atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if time.Now().Before(until) {
			refused.Add(1)
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, "<html><head><title>400 Bad Request</title></head><body><center><h1>400 Bad Request</h1></center><hr><center>nginx</center></body></html>\n")
			return
		}
		pass.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close) // after the sender stops

	p := startSender(t, influxWriter(proxy.URL, "oxywatch/autogen"))
	bl := backlogs(17, 3, time.Now().Add(-time.Hour))
	p.appendBacklogs(t, bl)

	got := waitSettled(t, in, p, "oxywatch", 51)
	if dl := p.deadLetters(t); len(dl) > 0 {
		t.Errorf("got %d lines dead-lettered after the proxy's 400s, want none:\n%s", len(dl), p.deadLetterFile(t))
	}
	if got != 51 {
		t.Errorf("got %d points in InfluxDB, want 51", got)
	}
	if refused.Load() < 2 {
		t.Errorf("the proxy refused %d requests, want several (the test did not exercise the retry)", refused.Load())
	}
}

// One unparsable line and one field type conflict inside backlogs of good
// readings: only those two lines are dead-lettered, with their reasons, and
// every other reading is stored.
func TestSenderDeadLettersOnlyTheLinesInfluxDBRefuses(t *testing.T) {
	in := testenv.StartInfluxd(t, "oxywatch")
	w := influxWriter(in.URL, "oxywatch/autogen")
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	// purity_pct is a float from now on.
	seed := fmt.Sprintf("o2_reading,device=seed purity_pct=90,flow_lpm=1 %d", base.Add(-time.Minute).UnixMilli())
	if err := w.Write(t.Context(), seed); err != nil {
		t.Fatal(err)
	}
	p := startSender(t, w)
	bl := backlogs(20, 10, base)
	unparsable := fmt.Sprintf("o2_reading,device=dev-003 purity_pct= %d", base.UnixMilli())
	conflict := fmt.Sprintf(`o2_reading,device=dev-012 purity_pct="high",flow_lpm=5 %d`, base.UnixMilli())
	bl[3][4] = unparsable
	bl[12][7] = conflict
	p.appendBacklogs(t, bl)

	got := waitSettled(t, in, p, "oxywatch", 1+198)
	testenv.Eventually(t, 10*time.Second, "two dead-lettered lines", func() bool { return len(p.deadLetters(t)) >= 2 })
	want := []string{conflict, unparsable}
	slices.Sort(want)
	if dl := p.deadLetters(t); !slices.Equal(dl, want) {
		t.Errorf("dead-lettered %d lines, want only the 2 refused ones:\n%s", len(dl), p.deadLetterFile(t))
	}
	if got != 1+198 {
		t.Errorf("got %d points in InfluxDB, want %d", got, 1+198)
	}
	file := p.deadLetterFile(t)
	for _, reason := range []string{"unable to parse", "field type conflict"} {
		if !strings.Contains(file, reason) {
			t.Errorf("dead-letter file does not say %q:\n%s", reason, file)
		}
	}
	for reason, want := range map[string]float64{"parse_error": 1, "field_type_conflict": 1} {
		testenv.Eventually(t, 5*time.Second, "oxywatch_store_dead_letter_lines_total{reason="+reason+"}", func() bool {
			return p.metric(t, "oxywatch_store_dead_letter_lines_total", map[string]string{"reason": reason}) == want
		})
	}
}

// InfluxDB 1.8 stores the points within the retention policy and answers
// "partial write: points beyond retention policy dropped=N": only the
// dropped lines are dead-lettered.
func TestSenderPartialWriteDeadLettersOnlyTheDroppedLines(t *testing.T) {
	in := testenv.StartInfluxd(t, "")
	if _, err := in.Query("CREATE DATABASE short WITH DURATION 1h"); err != nil {
		t.Fatal(err)
	}
	p := startSender(t, influxWriter(in.URL, "short/autogen"))
	bl := backlogs(30, 4, time.Now().Add(-30*time.Minute))
	old := backlogs(3, 4, time.Now().Add(-72*time.Hour)) // a backlog from a device offline for days
	var oldLines []string
	for i := range old {
		old[i][0] = strings.Replace(old[i][0], "dev-", "old-", 1)
		bl[5*i+2] = append(bl[5*i+2], old[i][0]) // mixed into recent backlogs
		oldLines = append(oldLines, old[i][0])
	}
	p.appendBacklogs(t, bl)

	got := waitSettled(t, in, p, "short", 120)
	testenv.Eventually(t, 10*time.Second, "three dead-lettered lines", func() bool { return len(p.deadLetters(t)) >= 3 })
	slices.Sort(oldLines)
	if dl := p.deadLetters(t); !slices.Equal(dl, oldLines) {
		t.Errorf("dead-lettered %d lines, want only the 3 beyond retention:\n%s", len(dl), p.deadLetterFile(t))
	}
	if got != 120 {
		t.Errorf("got %d points in InfluxDB, want 120", got)
	}
	if file := p.deadLetterFile(t); !strings.Contains(file, "beyond retention") {
		t.Errorf("dead-letter file does not give the reason:\n%s", file)
	}
	// The file is written before the counter moves: poll it.
	testenv.Eventually(t, 5*time.Second, "oxywatch_store_dead_letter_lines_total{reason=beyond_retention} = 3", func() bool {
		return p.metric(t, "oxywatch_store_dead_letter_lines_total", map[string]string{"reason": "beyond_retention"}) == 3
	})
}

// fakeInflux stores lines like InfluxDB 2.x does on a parse error: a request
// holding a bad line is refused whole, and nothing of it is stored. While
// down is set it fails as a network error would.
type fakeInflux struct {
	mu       sync.Mutex
	stored   map[string]bool
	requests int
	down     func(request int) bool
	bad      func(line string) bool
}

type refusedErr struct{ reason string }

func (e refusedErr) Error() string    { return "refused: " + e.reason }
func (e refusedErr) Refused() string  { return e.reason }
func (e refusedErr) AllRefused() bool { return false }

func (f *fakeInflux) Write(_ context.Context, lines ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if f.down != nil && f.down(f.requests) {
		return fmt.Errorf("dial tcp 127.0.0.1:8086: connection refused")
	}
	for _, l := range lines {
		if f.bad(l) {
			return refusedErr{"parse_error"}
		}
	}
	if f.stored == nil {
		f.stored = map[string]bool{}
	}
	for _, l := range lines {
		f.stored[l] = true
	}
	return nil
}

func (f *fakeInflux) count() (stored, requests int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.stored), f.requests
}

// A server that refuses a whole request for one bad line, and an outage in
// the middle of the search for it: every good line is stored, the bad ones
// are dead-lettered once each.
func TestSenderSplitsBatchesDownToTheRefusedLines(t *testing.T) {
	bad := func(l string) bool { return strings.Contains(l, "BAD") }
	f := &fakeInflux{bad: bad, down: func(n int) bool { return n >= 4 && n < 7 }}
	p := startSender(t, f)
	bl := backlogs(40, 25, time.Now().Add(-time.Hour)) // 1000 lines in one batch
	bl[7][3] = "o2_reading,device=BAD-1 v= 1"
	bl[31][20] = "o2_reading,device=BAD-2 v= 2"
	p.appendBacklogs(t, bl)

	testenv.Eventually(t, 20*time.Second, "the batch sent", func() bool { return p.buf.Stats().Depth == 0 })
	stored, requests := f.count()
	if stored != 998 {
		t.Errorf("got %d lines stored, want 998", stored)
	}
	want := []string{"o2_reading,device=BAD-1 v= 1", "o2_reading,device=BAD-2 v= 2"}
	if dl := p.deadLetters(t); !slices.Equal(dl, want) {
		t.Errorf("dead-lettered %v, want %v", dl, want)
	}
	if requests > 60 {
		t.Errorf("took %d requests to find 2 bad lines among 1000, want about 2×2×log2(1000)", requests)
	}
	testenv.Eventually(t, 5*time.Second, "oxywatch_store_dead_letter_lines_total{reason=parse_error} = 2", func() bool {
		return p.metric(t, "oxywatch_store_dead_letter_lines_total", map[string]string{"reason": "parse_error"}) == 2
	})
}

func writeDeadLetters(t *testing.T, path string, lines ...string) {
	t.Helper()
	dls := make([]buffer.DeadLetter, len(lines))
	for i, l := range lines {
		dls[i] = buffer.DeadLetter{Line: l, Reason: "field_type_conflict", Detail: "partial write: field type conflict", At: time.Now()}
	}
	if err := buffer.AppendDeadLetters(path, dls); err != nil {
		t.Fatal(err)
	}
}

func fileLines(t *testing.T, path string) []string {
	t.Helper()
	dls, err := buffer.ReadDeadLetters(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range dls {
		out = append(out, d.Line)
	}
	slices.Sort(out)
	return out
}

// A replay that stops half way (InfluxDB went away, or Ctrl-C) keeps every
// line not yet taken, and the next one finishes the job.
func TestReplayStoppedHalfWayLosesNoLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), buffer.DeadLetterFile)
	var all []string
	for i := range 50 {
		all = append(all, fmt.Sprintf("o2_reading,device=d%02d v=1 %d", i, i))
	}
	all[13] = "o2_reading,device=BAD v= 1"
	writeDeadLetters(t, path, all...)
	writeDeadLetters(t, path, all[3]) // a duplicate, sent once
	f := &fakeInflux{bad: func(l string) bool { return strings.Contains(l, "BAD") }}
	f.down = func(int) bool { return len(f.stored) >= 20 } // after three batches of 10, one with the bad line

	res, err := ingest.ReplayDeadLetters(t.Context(), ingest.ReplayOptions{Path: path, Writer: f, BatchLines: 10})
	if err == nil {
		t.Fatal("replay succeeded while InfluxDB was down")
	}
	if res.Lines != 50 || res.Duplicates != 1 || res.Sent != 29 || res.Refused["parse_error"] != 1 || res.Left != 20 {
		t.Errorf("got %+v, want 50 lines, 1 duplicate, 29 sent, 1 refused, 20 left", res)
	}
	left := fileLines(t, path)
	stored, _ := f.count()
	if len(left)+stored != 50 {
		t.Errorf("%d lines left in the file and %d stored, want 50 in all", len(left), stored)
	}
	for _, l := range all {
		if !f.stored[l] && !slices.Contains(left, l) {
			t.Errorf("line %q is neither stored nor in the file", l)
		}
	}

	f.down = nil
	res, err = ingest.ReplayDeadLetters(t.Context(), ingest.ReplayOptions{Path: path, Writer: f, BatchLines: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Lines != 21 || res.Sent != 20 || res.Refused["parse_error"] != 1 || res.Left != 0 {
		t.Errorf("second replay got %+v, want 21 lines, 20 sent, 1 still refused", res)
	}
	if got := fileLines(t, path); !slices.Equal(got, []string{all[13]}) {
		t.Errorf("file holds %v, want only the refused line", got)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := ingest.ReplayDeadLetters(ctx, ingest.ReplayOptions{Path: path, Writer: influxWriter("http://127.0.0.1:1", "x/y")}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled replay: got %v, want context.Canceled", err)
	}
	if got := fileLines(t, path); !slices.Equal(got, []string{all[13]}) {
		t.Errorf("after a cancelled replay the file holds %v, want the refused line", got)
	}
}
