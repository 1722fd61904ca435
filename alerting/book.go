package alerting

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// alertBook is the index of open alerts: their ids, their SMS ack codes,
// and the firings that were muted and are not yet announced. It owns its
// lock and calls only the writer and the metrics, which call nothing back,
// so the devices' shards and the facilities call it with their own lock
// held. An alert's fields belong to its owner (its device's shard, or the
// facilities for a facility alert): the book changes them only when its
// caller holds that owner's lock.
type alertBook struct {
	w *writer
	m *metrics

	mu          sync.Mutex
	open        map[int64]*openAlert
	codes       map[string]int64
	unannounced map[int64]*openAlert
	nextID      int64
	rng         *rand.Rand
}

func newAlertBook(w *writer, m *metrics, seed uint64) *alertBook {
	return &alertBook{w: w, m: m,
		open: map[int64]*openAlert{}, codes: map[string]int64{}, unannounced: map[int64]*openAlert{},
		nextID: 1, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// add gives a new alert its id and ack code, indexes it, and persists the
// firing transition (announced unless muted).
func (b *alertBook) add(oa *openAlert, muted bool, now int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	oa.a.ID = b.nextID
	b.nextID++
	oa.a.AckCode = b.newAckCode(oa.a.ID)
	b.open[oa.a.ID] = oa
	oa.notified = !muted
	if muted {
		b.unannounced[oa.a.ID] = oa
	}
	b.m.move(oa.a.Rule, "", plant.AlertFiring)
	b.persist(oa, "", now, nil)
}

// resolve closes an open alert; its resolution is announced only when its
// firing was.
func (b *alertBook) resolve(oa *openAlert, now int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	from := oa.a.State
	oa.a.State = plant.AlertResolved
	oa.a.ResolvedAt = time.Unix(0, now).UTC()
	delete(b.open, oa.a.ID)
	delete(b.unannounced, oa.a.ID)
	delete(b.codes, oa.a.AckCode)
	b.m.move(oa.a.Rule, from, plant.AlertResolved)
	b.persist(oa, from, now, nil)
}

// acknowledge acknowledges oa in by's name, the owner's lock held; ok is
// false when oa is no longer open, changed false when it was acknowledged
// already.
func (b *alertBook) acknowledge(oa *openAlert, by, note string, audit *auditNote, now int64) (a plant.Alert, changed, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.open[oa.a.ID] != oa {
		return plant.Alert{}, false, false
	}
	if oa.a.State == plant.AlertAcknowledged {
		return oa.a, false, true
	}
	oa.a.State, oa.a.AckedBy, oa.a.AckedAt, oa.a.AckNote = plant.AlertAcknowledged, by, unixUTC(now), note
	b.m.move(oa.a.Rule, plant.AlertFiring, plant.AlertAcknowledged)
	b.persist(oa, plant.AlertFiring, now, audit)
	return oa.a, true, true
}

// announce hands a muted alert's firing to the Notifier now, unless it was
// announced or resolved meanwhile.
func (b *alertBook) announce(oa *openAlert, now int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.unannounced[oa.a.ID]; !ok {
		return
	}
	delete(b.unannounced, oa.a.ID)
	oa.notified = true
	b.w.add(op{kind: opAlert, alert: oa.a, comp: oa.comp, notified: true, tr: true, at: now, to: plant.AlertFiring})
}

// get is the open alert with that id, or nil.
func (b *alertBook) get(id int64) *openAlert {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.open[id]
}

// byCode is the id of the open alert carrying an ack code.
func (b *alertBook) byCode(code string) (int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id, ok := b.codes[code]
	return id, ok
}

// muted lists the open alerts whose firing is not yet announced.
func (b *alertBook) muted() []*openAlert {
	b.mu.Lock()
	defer b.mu.Unlock()
	list := make([]*openAlert, 0, len(b.unannounced))
	for _, oa := range b.unannounced {
		list = append(list, oa)
	}
	return list
}

// restored indexes an open alert read back at start.
func (b *alertBook) restored(oa *openAlert) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.open[oa.a.ID] = oa
	b.codes[oa.a.AckCode] = oa.a.ID
	if !oa.notified {
		b.unannounced[oa.a.ID] = oa
	}
	b.m.move(oa.a.Rule, "", oa.a.State)
}

// persist queues the alert's row and, when announced, its transition;
// audit, when not nil, is the change's audit entry, written with the row.
func (b *alertBook) persist(oa *openAlert, from plant.AlertState, now int64, audit *auditNote) {
	o := op{kind: opAlert, alert: oa.a, comp: oa.comp, notified: oa.notified, audit: audit}
	if oa.notified {
		o.tr, o.from, o.to, o.at = true, from, oa.a.State, now
	}
	b.w.add(o)
}

// newAckCode picks a 4-5 digit code unused among open alerts.
func (b *alertBook) newAckCode(id int64) string {
	for {
		c := strconv.Itoa(1000 + b.rng.IntN(99000))
		if _, used := b.codes[c]; !used {
			b.codes[c] = id
			return c
		}
	}
}
