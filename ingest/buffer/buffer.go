// Package buffer is the ingester's durable on-disk queue. An entry is
// appended, with group commit and fsync, before the MQTT message that carried
// it is acknowledged; the sender reads entries in order and removes them only
// after InfluxDB accepted them. It is built on github.com/tidwall/wal.
package buffer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tidwall/wal"
)

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("buffer closed")

// Entry is one appended record: the line protocol of one MQTT message's
// accepted readings, and when it was received.
type Entry struct {
	Index    uint64
	Received time.Time
	Lines    int // number of line-protocol lines in Data
	// Data is line protocol, lines separated by '\n'. It is the WAL's own
	// memory (read without a copy), which the WAL never changes once
	// written (it appends, and a trim reads the rest into new memory): it
	// may be kept, and turned into strings without a copy, but never
	// written to.
	Data []byte
}

// Options tune the buffer.
type Options struct {
	// MaxGroup caps how many appends share one fsync.
	MaxGroup int
	// SegmentSize is the size of one WAL segment file.
	SegmentSize int
	// NoSync skips fsync: only for benchmarks that measure without the disk.
	NoSync bool
	// Reserve is the free disk space below which appends are refused with
	// ErrDiskFull rather than risk a write cut short (default: 16 MiB, or
	// two segments if more). The database and logs on the same disk need
	// room too.
	Reserve int64
}

// Buffer is a durable FIFO of entries.
type Buffer struct {
	dir   string
	logMu sync.RWMutex // Lock only to reopen the WAL after a failed write
	// readMu lets one WAL read at a time: the WAL's Read holds only its
	// read lock while it loads a segment into its cache, so two at once
	// race (the sender's and Stats').
	readMu sync.Mutex
	log    *wal.Log
	opts   Options

	reqs    chan appendReq
	told    chan []appendReq // written groups whose callbacks are still to be called
	closing chan struct{}
	done    chan struct{} // closed when the commit loop has ended
	tells   chan struct{} // closed when tellLoop has ended
	once    sync.Once
	sending sync.RWMutex // held (R) while a request goes into reqs, so Close sees none left behind

	mu       sync.Mutex
	next     uint64 // index the next append gets
	cursor   uint64 // first index not yet confirmed sent
	trimmed  uint64 // first index still in the WAL
	wake     chan struct{}
	appended uint64 // total entries appended since open (for metrics)
	failing  error  // the last append's error; nil once an append succeeds
}

// appendReq is one append waiting for its group's fsync: its caller waits
// on done (Append), or told is called once it is durable or failed
// (AppendAsync).
type appendReq struct {
	rec  *record
	done chan error
	told func(error)
	err  error // set when its group was written, for told
}

// Open opens or creates the buffer in dir. Entries left by a previous run
// (including one killed with SIGKILL) are kept and will be sent.
func Open(dir string, opts Options) (*Buffer, error) {
	if opts.MaxGroup <= 0 {
		// A group takes what queued during the last fsync, so a slow disk
		// makes groups larger rather than ingest slower: with 4096, an
		// fsync of 80 ms (seen on a busy shared disk) still carries 50,000
		// appends a second, where 512 capped it at 6,400.
		opts.MaxGroup = 4096
	}
	if opts.SegmentSize <= 0 {
		// The WAL keeps the tail segment in memory (in a slice that grows
		// by doubling, so up to twice its size) and caches the last one
		// it cycled or read: 512 KiB keeps that near 2 MiB, where 2 MiB
		// segments kept up to 8 MiB live, twice that at the GC's peak.
		// A trim also rewrites the rest of the tail segment, so smaller
		// segments make it cheaper; at 10,000 readings/s a segment fills
		// about every 0.2 s, and a cycle costs one fsync more.
		opts.SegmentSize = 512 << 10
	}
	if opts.Reserve <= 0 {
		opts.Reserve = max(2*int64(opts.SegmentSize), 16<<20)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create buffer dir %s: %w", dir, err)
	}
	log, err := openWAL(dir, opts)
	if err != nil {
		return nil, err
	}
	first, err := log.FirstIndex()
	if err != nil {
		log.Close()
		return nil, fmt.Errorf("open buffer %s: %w", dir, err)
	}
	last, err := log.LastIndex()
	if err != nil {
		log.Close()
		return nil, fmt.Errorf("open buffer %s: %w", dir, err)
	}
	b := &Buffer{
		dir: dir, log: log, opts: opts,
		reqs:    make(chan appendReq, opts.MaxGroup),
		told:    make(chan []appendReq, 4),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
		next:    last + 1,
		cursor:  first,
		trimmed: first,
		wake:    make(chan struct{}, 1),
		tells:   make(chan struct{}),
	}
	go b.commitLoop()
	go b.tellLoop()
	return b, nil
}

// Quarantined is set by Open when it found a corrupt WAL (a torn write after
// a power cut) and moved it aside to start afresh; it names the moved folder.
var Quarantined string

func openWAL(dir string, opts Options) (*wal.Log, error) {
	walOpts := &wal.Options{
		NoSync:      opts.NoSync,
		SegmentSize: opts.SegmentSize,
		// the sender reads at most a batch behind the tail, which is
		// always in memory: one cached segment is enough
		SegmentCacheSize: 1,
		AllowEmpty:       true,
		NoCopy:           true, // see Entry.Data
		DirPerms:         0o750,
		FilePerms:        0o640,
	}
	// A torn tail is cut before opening: the WAL reads a run of zeros as
	// empty entries rather than as damage.
	cut, err := repairTail(dir)
	if err != nil {
		return nil, fmt.Errorf("open buffer %s: %w", dir, err)
	}
	Repaired += cut
	log, err := wal.Open(dir, walOpts)
	if errors.Is(err, wal.ErrCorrupt) {
		// Keep the damaged files for inspection and recovery by hand; a
		// buffer that cannot open would stop all ingest.
		aside := fmt.Sprintf("%s.corrupt-%d", dir, time.Now().Unix())
		if rerr := os.Rename(dir, aside); rerr != nil {
			return nil, fmt.Errorf("open buffer %s: %w (moving it aside failed: %v)", dir, err, rerr)
		}
		Quarantined = aside
		log, err = wal.Open(dir, walOpts)
		if err == nil {
			keepDeadLetters(aside, dir)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open buffer %s: %w", dir, err)
	}
	return log, nil
}

// keepDeadLetters moves the dead-letter file back from a quarantined
// buffer, where the sender and the replay command look for it.
func keepDeadLetters(aside, dir string) {
	err := os.Rename(filepath.Join(aside, DeadLetterFile), filepath.Join(dir, DeadLetterFile))
	if err == nil {
		_ = syncDir(dir)
	}
}

// Append stores data durably and returns once it is on disk, or with an
// error when it is not: then the caller must not acknowledge the message.
func (b *Buffer) Append(ctx context.Context, data []byte, lines int, received time.Time) error {
	req := appendReq{rec: encode(data, lines, received), done: make(chan error, 1)}
	if err := b.enqueue(ctx, req); err != nil {
		return err
	}
	select {
	case err := <-req.done:
		return err
	case <-b.done:
		select { // the loop may have answered just before it ended
		case err := <-req.done:
			return err
		default:
			return ErrClosed
		}
	case <-ctx.Done():
		// The write may still complete; the message stays unacknowledged and
		// the broker redelivers it, which the store tolerates (idempotent).
		return ctx.Err()
	}
}

// AppendAsync is Append for a caller that does not wait: data is copied
// before it returns, and told is called once the data is on disk (nil) or
// is not (the error; then the message must not be acknowledged). Calls of
// told come from one goroutine, in the order of the appends, so a device's
// acknowledgements can follow its messages' order; told must not block for
// long, since the next appends' calls wait behind it. AppendAsync blocks
// only while the commit queue is full.
func (b *Buffer) AppendAsync(ctx context.Context, data []byte, lines int, received time.Time, told func(error)) {
	if err := b.enqueue(ctx, appendReq{rec: encode(data, lines, received), told: told}); err != nil {
		told(err)
	}
}

func (b *Buffer) enqueue(ctx context.Context, req appendReq) error {
	b.sending.RLock()
	defer b.sending.RUnlock()
	select {
	case <-b.closing:
		return ErrClosed
	default:
	}
	select {
	case b.reqs <- req:
		return nil
	case <-b.closing:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// commitLoop writes queued appends as one WAL batch with one fsync, answers
// the waiting Appends and hands the group to tellLoop for the AppendAsyncs.
func (b *Buffer) commitLoop() {
	var batch wal.Batch
	group := make([]appendReq, 0, b.opts.MaxGroup)
	defer close(b.done)
	for {
		select {
		case req := <-b.reqs:
			group = append(group[:0], req)
		case <-b.closing:
			b.failPending(ErrClosed)
			return
		}
	fill:
		for len(group) < b.opts.MaxGroup {
			select {
			case req := <-b.reqs:
				group = append(group, req)
			default:
				break fill
			}
		}
		err := b.writeGroup(&batch, group)
		for i := range group {
			group[i].rec.release()
		}
		b.answer(group, err)
	}
}

// answer wakes the waiting Appends of a written group and queues the
// others' callbacks.
func (b *Buffer) answer(group []appendReq, err error) {
	var async []appendReq
	for _, req := range group {
		if req.told == nil {
			req.done <- err
			continue
		}
		req.err, req.rec = err, nil
		async = append(async, req)
	}
	if len(async) > 0 {
		b.told <- async
	}
}

// tellLoop calls the AppendAsyncs' callbacks in order, away from the commit
// loop, so the next group's write overlaps them.
func (b *Buffer) tellLoop() {
	defer close(b.tells)
	for group := range b.told {
		for _, req := range group {
			req.told(req.err)
		}
	}
}

func (b *Buffer) writeGroup(batch *wal.Batch, group []appendReq) error {
	err := b.tryWrite(batch, group)
	b.mu.Lock()
	b.failing = err
	b.mu.Unlock()
	return err
}

func (b *Buffer) tryWrite(batch *wal.Batch, group []appendReq) error {
	size := int64(0)
	for _, req := range group {
		size += int64(len(req.rec.b))
	}
	if free, err := freeBytes(b.dir); err == nil && free-size < b.opts.Reserve {
		return fmt.Errorf("append to buffer %s: %w (%d MiB free, %d MiB kept in reserve): free space on the data dir's disk", b.dir, ErrDiskFull, free>>20, b.opts.Reserve>>20)
	}
	b.mu.Lock()
	first := b.next
	b.mu.Unlock()
	batch.Clear()
	for i, req := range group {
		batch.Write(first+uint64(i), req.rec.b)
	}
	b.logMu.RLock()
	err := b.log.WriteBatch(batch)
	b.logMu.RUnlock()
	if err != nil {
		// The WAL's memory may now disagree with its file (a write cut
		// short): read it again from disk before the next append.
		if rerr := b.reopen(); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return fmt.Errorf("append to buffer %s: %w", b.dir, err)
	}
	b.mu.Lock()
	b.next = first + uint64(len(group))
	b.appended += uint64(len(group))
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
	return nil
}

// reopen closes the WAL and opens it again from disk, cutting a torn last
// entry; appends continue after the last entry that is really there.
func (b *Buffer) reopen() error {
	b.logMu.Lock()
	defer b.logMu.Unlock()
	_ = b.log.Close()
	log, err := openWAL(b.dir, b.opts)
	if err != nil {
		return err
	}
	last, err := log.LastIndex()
	if err != nil {
		log.Close()
		return err
	}
	b.log = log
	b.mu.Lock()
	b.next = last + 1
	b.mu.Unlock()
	return nil
}

// Failing returns the last append's error, nil once an append succeeded.
func (b *Buffer) Failing() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failing
}

func (b *Buffer) failPending(err error) {
	for {
		select {
		case req := <-b.reqs:
			b.answer([]appendReq{req}, err)
		default:
			return
		}
	}
}

// Wake returns a channel that receives after appends, for the sender.
func (b *Buffer) Wake() <-chan struct{} { return b.wake }

// Read returns entries from the cursor on, up to maxLines lines in all (at
// least one entry when any is waiting). It does not move the cursor.
func (b *Buffer) Read(maxLines int) ([]Entry, error) {
	b.mu.Lock()
	idx, next := b.cursor, b.next
	b.mu.Unlock()
	out := make([]Entry, 0, min(next-idx, uint64(maxLines), 8192)) // an entry has a line or more
	lines := 0
	b.logMu.RLock()
	defer b.logMu.RUnlock()
	b.readMu.Lock()
	defer b.readMu.Unlock()
	for ; idx < next; idx++ {
		rec, err := b.log.Read(idx)
		if err != nil {
			return out, fmt.Errorf("read buffer entry %d: %w", idx, err)
		}
		e, err := decode(idx, rec)
		if err != nil {
			return out, err
		}
		if len(out) > 0 && lines+e.Lines > maxLines {
			break
		}
		out = append(out, e)
		lines += e.Lines
	}
	return out, nil
}

// Commit marks every entry before index as sent. The WAL is trimmed lazily
// by Trim: after a crash the few entries sent since the last trim are sent
// again, which the store tolerates.
func (b *Buffer) Commit(index uint64) {
	b.mu.Lock()
	if index > b.cursor {
		b.cursor = index
	}
	b.mu.Unlock()
}

// Trim removes sent entries from disk.
func (b *Buffer) Trim() error {
	b.mu.Lock()
	cursor, trimmed := b.cursor, b.trimmed
	b.mu.Unlock()
	if cursor <= trimmed {
		return nil
	}
	b.logMu.RLock()
	defer b.logMu.RUnlock()
	if err := b.log.TruncateFront(cursor); err != nil {
		return fmt.Errorf("trim buffer to %d: %w", cursor, err)
	}
	b.mu.Lock()
	b.trimmed = cursor
	b.mu.Unlock()
	return nil
}

// Stats describes the queue for metrics.
type Stats struct {
	Depth        uint64    // entries not yet sent
	OldestUnsent time.Time // receive time of the oldest unsent entry; zero when empty
	Bytes        int64     // size of the WAL files on disk
	Appended     uint64    // entries appended since open
}

// Stats reads the queue's state.
func (b *Buffer) Stats() Stats {
	b.mu.Lock()
	s := Stats{Depth: b.next - b.cursor, Appended: b.appended}
	cursor := b.cursor
	b.mu.Unlock()
	if s.Depth > 0 {
		b.logMu.RLock()
		b.readMu.Lock()
		rec, err := b.log.Read(cursor)
		b.readMu.Unlock()
		b.logMu.RUnlock()
		if err == nil && len(rec) >= headerLen {
			s.OldestUnsent = time.Unix(0, int64(binary.BigEndian.Uint64(rec)))
		}
	}
	s.Bytes = dirSize(b.dir)
	return s
}

func dirSize(dir string) int64 {
	var n int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && !e.IsDir() {
			n += info.Size()
		}
	}
	return n
}

// Close stops appends, trims what was sent and closes the WAL. It is
// idempotent.
func (b *Buffer) Close() error {
	var err error
	b.once.Do(func() {
		b.sending.Lock() // no enqueue under way: each later one sees closing
		close(b.closing)
		b.sending.Unlock()
		<-b.done
		b.failPending(ErrClosed) // sent after the commit loop's last look
		close(b.told)
		<-b.tells
		trimErr := b.Trim()
		b.logMu.Lock()
		defer b.logMu.Unlock()
		err = errors.Join(trimErr, b.log.Close())
	})
	return err
}

// Dir is where the buffer lives.
func (b *Buffer) Dir() string { return b.dir }

const headerLen = 12

// record is an append's WAL entry, from its copy of the caller's data to
// the commit loop's batch, which copies it again; records are then used
// again (a 100,000-reading run allocated 19 MB fewer).
type record struct{ b []byte }

var records = sync.Pool{New: func() any { return new(record) }}

func encode(data []byte, lines int, received time.Time) *record {
	r := records.Get().(*record)
	r.b = binary.BigEndian.AppendUint64(r.b[:0], uint64(received.UnixNano()))
	r.b = binary.BigEndian.AppendUint32(r.b, uint32(lines))
	r.b = append(r.b, data...)
	return r
}

// release gives a record back once the batch has copied it; a large one
// is left to the GC rather than kept.
func (r *record) release() {
	if cap(r.b) <= 64<<10 {
		records.Put(r)
	}
}

func decode(idx uint64, rec []byte) (Entry, error) {
	if len(rec) < headerLen {
		return Entry{}, fmt.Errorf("buffer entry %d is %d bytes, shorter than its header", idx, len(rec))
	}
	return Entry{
		Index:    idx,
		Received: time.Unix(0, int64(binary.BigEndian.Uint64(rec))),
		Lines:    int(binary.BigEndian.Uint32(rec[8:])),
		Data:     rec[headerLen:],
	}, nil
}
