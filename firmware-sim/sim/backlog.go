package sim

// Limits of a backlog payload (CONTRACT §3): at most 1000 readings and
// 64 KiB. The simulator keeps a margin under the byte limit.
const (
	MaxBacklogReadings = 1000
	MaxPayloadBytes    = 60 << 10
)

// Backlog is the bounded store of readings a device keeps while it cannot
// send: a ring of encoded JSON objects, each with its original ts. When full
// the oldest reading is dropped, as device firmware does.
type Backlog struct {
	items   [][]byte
	head, n int
	dropped int64
}

// NewBacklog returns a backlog holding at most capacity readings.
func NewBacklog(capacity int) *Backlog {
	return &Backlog{items: make([][]byte, max(capacity, 1))}
}

// Len is the number of readings held.
func (b *Backlog) Len() int { return b.n }

// Dropped is the number of readings lost because the backlog was full.
func (b *Backlog) Dropped() int64 { return b.dropped }

// Push adds an encoded reading, dropping the oldest when full.
func (b *Backlog) Push(obj []byte) {
	if b.n == len(b.items) {
		b.items[b.head] = nil
		b.head = (b.head + 1) % len(b.items)
		b.n--
		b.dropped++
	}
	b.items[(b.head+b.n)%len(b.items)] = obj
	b.n++
}

// Next returns the oldest readings as one JSON array payload within the
// limits, and how many readings it holds. It does not remove them: call
// Pop(n) once the payload was handed over.
func (b *Backlog) Next() (payload []byte, n int) {
	payload = append(make([]byte, 0, 4096), '[')
	for n < b.n && n < MaxBacklogReadings {
		obj := b.items[(b.head+n)%len(b.items)]
		if n > 0 && len(payload)+len(obj)+2 > MaxPayloadBytes {
			break
		}
		if n > 0 {
			payload = append(payload, ',')
		}
		payload = append(payload, obj...)
		n++
	}
	return append(payload, ']'), n
}

// Pop removes the n oldest readings.
func (b *Backlog) Pop(n int) {
	for range min(n, b.n) {
		b.items[b.head] = nil
		b.head = (b.head + 1) % len(b.items)
		b.n--
	}
}
