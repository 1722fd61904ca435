package httppub

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oxywatch/oxywatch/firmware-sim/sim"
)

type outgoing struct {
	payload []byte
	at      time.Time
}

// queue is the part of sim.Link an HTTP device and an SMS alarm module
// share: payloads wait in a bounded queue while the modem has no network
// and one goroutine sends them in order.
type queue struct {
	out      chan outgoing
	up       atomic.Bool
	inflight atomic.Int64
	ctx      context.Context // ends when Close gives up waiting
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	closed   sync.Once
}

// start makes the queue (n payloads at most) and its goroutine, which sends
// each payload with send and reports how long it took and how it ended.
func (q *queue) start(n int, send func(payload []byte) error, onResult func(time.Duration, error)) {
	q.out = make(chan outgoing, n)
	q.ctx, q.cancel = context.WithCancel(context.Background())
	q.wg.Go(func() {
		for m := range q.out {
			err := send(m.payload)
			q.inflight.Add(-1)
			onResult(time.Since(m.at), err)
		}
	})
}

// Connect implements sim.Link: HTTP and SMS need no session, the link is up.
func (q *queue) Connect() { q.up.Store(true) }

// Connected implements sim.Link.
func (q *queue) Connected() bool { return q.up.Load() }

// Pending implements sim.Link.
func (q *queue) Pending() int { return int(q.inflight.Load()) }

// Drop implements sim.Link: the modem lost its network; queued payloads
// stay and go once it is back.
func (q *queue) Drop() { q.up.Store(false) }

// Publish implements sim.Link.
func (q *queue) Publish(payload []byte) error {
	if !q.up.Load() {
		return sim.ErrNotConnected
	}
	select {
	case q.out <- outgoing{payload: payload, at: time.Now()}:
		q.inflight.Add(1)
		return nil
	default:
		return sim.ErrBusy
	}
}

// Close implements sim.Link: payloads still queued get up to 5 s.
func (q *queue) Close() {
	q.closed.Do(func() {
		q.up.Store(false)
		close(q.out)
		done := make(chan struct{})
		go func() { q.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			q.cancel()
			<-done
		}
		q.cancel()
	})
}
