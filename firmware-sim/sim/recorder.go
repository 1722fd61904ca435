package sim

import (
	"sync"
)

// Message is one payload a Recorder received.
type Message struct {
	Device  string
	Status  bool // true: status topic ("online"/"offline"); false: telemetry
	Payload []byte
}

// Recorder is an in-memory Publisher: links connect at once and every
// payload is kept (or passed to OnMessage). Tests and --dry-run use it.
type Recorder struct {
	OnMessage func(Message) // nil: keep messages in Messages

	mu       sync.Mutex
	messages []Message
}

// Messages returns a copy of what was published so far.
func (r *Recorder) Messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.messages...)
}

func (r *Recorder) record(m Message) {
	if r.OnMessage != nil {
		r.OnMessage(m)
		return
	}
	r.mu.Lock()
	r.messages = append(r.messages, m)
	r.mu.Unlock()
}

// Link implements Publisher.
func (r *Recorder) Link(spec Spec) Link { return &recLink{r: r, id: spec.ID} }

type recLink struct {
	r  *Recorder
	id string
	up bool
}

func (l *recLink) Connect() {
	if !l.up {
		l.up = true
		l.r.record(Message{Device: l.id, Status: true, Payload: []byte("online")})
	}
}

func (l *recLink) Connected() bool { return l.up }

func (l *recLink) Publish(p []byte) error {
	if !l.up {
		return ErrNotConnected
	}
	l.r.record(Message{Device: l.id, Payload: p})
	return nil
}

func (l *recLink) Pending() int { return 0 }

func (l *recLink) Drop() {
	if l.up {
		l.up = false
		l.r.record(Message{Device: l.id, Status: true, Payload: []byte("offline")}) // the broker's last will
	}
}

func (l *recLink) Close() { l.Drop() }
