package store

import (
	"context"
	"sync"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// How unknown devices are batched: a device seen for the first time is
// written at most unknownFlushDelay later, or as soon as unknownBatch of
// them wait. After a regional outage every device reconnects at once; one
// transaction per batch, off the message handler, replaces a SQLite insert
// (4–5 ms of CPU) per device inside it (issue 12).
const (
	unknownFlushDelay = 200 * time.Millisecond
	unknownBatch      = 256
	unknownMaxQueued  = 100_000 // while SQLite fails, past this the oldest are dropped
)

// unknownQueue holds unknown devices until they are written. No goroutine
// runs while it is empty: a timer starts a flush when the first device
// arrives.
type unknownQueue struct {
	insert     func(context.Context, []plant.Device) error
	background func() // a flush with its own deadline, run by the timer

	flushing sync.Mutex // one flush at a time, so batches commit in order

	mu        sync.Mutex
	devices   []plant.Device
	timer     *time.Timer // the flush to come, while it has not started
	scheduled bool        // a flush will take the queue
	closed    bool
}

// add queues d and makes sure a flush will write it: in unknownFlushDelay,
// or now when a batch is full. After close, d is written at once.
func (q *unknownQueue) add(d plant.Device) {
	q.mu.Lock()
	q.devices = append(q.devices, d)
	if len(q.devices) > unknownMaxQueued {
		q.devices = q.devices[len(q.devices)-unknownMaxQueued:]
	}
	now := q.closed
	switch {
	case now:
	case !q.scheduled:
		q.scheduled = true
		q.timer = time.AfterFunc(unknownFlushDelay, q.background)
	case len(q.devices) >= unknownBatch && q.timer != nil && q.timer.Stop():
		q.timer = nil
		go q.background()
	}
	q.mu.Unlock()
	if now {
		q.background()
	}
}

// flush writes what is queued. A batch that fails goes back to the front
// of the queue, and another flush is scheduled.
func (q *unknownQueue) flush(ctx context.Context) error {
	q.flushing.Lock()
	defer q.flushing.Unlock()
	q.mu.Lock()
	batch := q.devices
	q.devices, q.scheduled, q.timer = nil, false, nil
	q.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := q.insert(ctx, batch)
	if err != nil {
		q.mu.Lock()
		q.devices = append(batch, q.devices...)
		if len(q.devices) > unknownMaxQueued {
			q.devices = q.devices[len(q.devices)-unknownMaxQueued:]
		}
		if !q.scheduled && !q.closed {
			q.scheduled = true
			q.timer = time.AfterFunc(unknownFlushDelay, q.background)
		}
		q.mu.Unlock()
	}
	return err
}

// close stops the timer; the caller flushes what is left.
func (q *unknownQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	if q.timer != nil && q.timer.Stop() {
		q.timer, q.scheduled = nil, false
	}
}
