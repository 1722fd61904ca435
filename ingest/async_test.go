package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/ingest/buffer"
)

// HandleMessageAsync on the real buffer: done comes once the readings are
// in the buffer and handed to the consumers, in the order of the calls;
// what is not telemetry is done before the call returns; a buffer that
// cannot take the readings says so to done and nothing is handed on.
func TestHandleMessageAsync(t *testing.T) {
	h := newHarness(false)
	buf, err := buffer.Open(t.TempDir(), buffer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h.in.opts.Buffer = buf
	ctx := context.Background()
	const n = 300
	var mu sync.Mutex
	var order []int
	all := make(chan struct{})
	for i := range n {
		payload := fmt.Sprintf(`{"ts":%d,"purity_pct":93.5}`, testNow.Add(time.Duration(i-n)*time.Second).UnixMilli())
		h.in.HandleMessageAsync(ctx, "o2/psa-001/telemetry", []byte(payload), func(err error) {
			if err != nil {
				t.Errorf("message %d: %v", i, err)
			}
			es, rerr := buf.Read(1 << 20)
			if rerr != nil || len(es) < i+1 {
				t.Errorf("message %d done with %d entries in the buffer (%v)", i, len(es), rerr)
			}
			mu.Lock()
			defer mu.Unlock()
			order = append(order, i)
			if len(order) == n {
				close(all)
			}
		})
	}
	select {
	case <-all:
	case <-time.After(30 * time.Second):
		t.Fatal("not every message was done within 30 s")
	}
	for i, got := range order {
		if got != i {
			t.Fatalf("message %d done in place %d", got, i)
		}
	}
	h.rec.mu.Lock()
	if h.rec.live+h.rec.backlog != n {
		t.Errorf("consumers got %d readings, want %d", h.rec.live+h.rec.backlog, n)
	}
	h.rec.mu.Unlock()

	inline := false
	h.in.HandleMessageAsync(ctx, "o2/psa-001/status", []byte("offline"), func(err error) { inline = err == nil })
	if !inline {
		t.Error("a status message was not done before HandleMessageAsync returned")
	}

	buf.Close()
	got := make(chan error, 1)
	h.in.HandleMessageAsync(ctx, "o2/psa-001/telemetry", []byte(`{"purity_pct":94}`), func(err error) { got <- err })
	if err := <-got; !errors.Is(err, buffer.ErrClosed) {
		t.Fatalf("a reading the buffer refused was done with %v, want ErrClosed", err)
	}
	h.rec.mu.Lock()
	defer h.rec.mu.Unlock()
	if h.rec.live+h.rec.backlog != n {
		t.Errorf("a reading that was not durable was handed on (%d readings)", h.rec.live+h.rec.backlog)
	}
}
