package sim

import (
	"errors"
	"fmt"
	"time"
)

// wake runs one device at t: random events, physics, link state, delivery.
func (s *Sim) wake(i int, t time.Time) {
	d, link := s.devices[i], s.links[i]
	s.randomEvents(d, t)
	r, c, ok := d.step(t)
	s.syncLink(d, link, &c)
	if !ok {
		return
	}
	s.Stats.Readings.Add(1)
	before := d.backlog.Len()
	dropped := d.backlog.Dropped()
	s.deliver(d, link, &r, &c)
	s.Stats.Queued.Add(int64(d.backlog.Len() - before))
	s.Stats.Dropped.Add(d.backlog.Dropped() - dropped)
}

// randomEvents injects random faults and GSM drop-outs when their time comes.
func (s *Sim) randomEvents(d *Device, t time.Time) {
	if !d.nextRandom.IsZero() && !t.Before(d.nextRandom) {
		s.inject(d, d.randomFault(), t, true)
		d.nextRandom = d.drawNext(t, s.cfg.RandomFaultsPerDay)
	}
	if !d.nextDrop.IsZero() && !t.Before(d.nextDrop) {
		s.inject(d, Event{Fault: FaultOffline, For: d.between(2*time.Minute, 90*time.Minute)}, t, true)
		d.nextDrop = d.drawNext(t, s.cfg.DropsPerDay)
	}
}

// randomFault draws a fault and a plausible duration for it.
func (d *Device) randomFault() Event {
	kinds := RandomFaults
	if d.isLOX() {
		kinds = []Fault{FaultOutage, FaultSensorNoisy, FaultReboot, FaultClockDrift, FaultOffline}
	}
	ev := Event{Fault: kinds[d.rng.IntN(len(kinds))], Generator: d.Generator}
	spans := map[Fault][2]time.Duration{
		FaultOutage: {10 * time.Minute, 4 * time.Hour}, FaultCompressor: {time.Hour, 48 * time.Hour},
		FaultDryer: {6 * time.Hour, 72 * time.Hour}, FaultFilter: {3 * 24 * time.Hour, 14 * 24 * time.Hour},
		FaultSieve: {10 * 24 * time.Hour, 40 * 24 * time.Hour}, FaultOverload: {time.Hour, 6 * time.Hour},
		FaultSensorStuck: {time.Hour, 24 * time.Hour}, FaultSensorNoisy: {time.Hour, 24 * time.Hour},
		FaultReboot: {30 * time.Second, 2 * time.Minute}, FaultClockDrift: {24 * time.Hour, 5 * 24 * time.Hour},
		FaultCode: {30 * time.Minute, 12 * time.Hour}, FaultOffline: {5 * time.Minute, 6 * time.Hour},
	}
	span := spans[ev.Fault]
	ev.For = d.between(span[0], span[1])
	if ev.Fault == FaultCode {
		ev.Code = fmt.Sprintf("E%02d", 1+d.rng.IntN(20))
	}
	return ev
}

func (d *Device) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(d.rng.Float64()*float64(hi-lo))
}

// syncLink keeps the link up unless the device is cut off or without power.
func (s *Sim) syncLink(d *Device, link Link, c *cond) {
	want := !c.offline && !c.rebooting && !d.silent
	switch {
	case want && !link.Connected():
		link.Connect()
		d.linkDown = false
	case !want && !d.linkDown:
		link.Drop()
		d.linkDown = true
	}
}

// deliver publishes a reading live, or keeps it in the backlog and sends
// the backlog first when the link is up.
func (s *Sim) deliver(d *Device, link Link, r *Reading, c *cond) {
	if s.cfg.Stamp {
		r.SentNS = s.cfg.Now().UnixNano()
	}
	if c.malformed {
		s.sendMalformed(d, link, r)
		return
	}
	if d.backlog.Len() == 0 && link.Connected() {
		withTS := s.cfg.LiveTS || !d.NoRTC
		if err := link.Publish(r.AppendJSON(nil, withTS)); err == nil {
			s.Stats.Sent.Add(1)
			return
		}
	}
	d.backlog.Push(r.AppendJSON(nil, true))
	s.flush(d, link)
}

// flushDevice flushes and keeps Stats.Queued in step.
func (s *Sim) flushDevice(d *Device, link Link) {
	before := d.backlog.Len()
	s.flush(d, link)
	s.Stats.Queued.Add(int64(d.backlog.Len() - before))
}

// flush sends the backlog as arrays of original readings while the link
// takes them.
func (s *Sim) flush(d *Device, link Link) {
	for d.backlog.Len() > 0 && link.Connected() {
		payload, n := d.backlog.Next()
		if err := link.Publish(payload); err != nil {
			if !errors.Is(err, ErrBusy) && !errors.Is(err, ErrNotConnected) {
				s.cfg.Log.Warn("publish backlog", "device", d.ID, "err", err)
			}
			return
		}
		d.backlog.Pop(n)
		s.Stats.Sent.Add(int64(n))
		s.Stats.Backlogs.Add(1)
	}
}

// sendMalformed sends a payload the server must reject, rotating through
// the ways firmware gets it wrong. Offline, the reading is simply lost.
func (s *Sim) sendMalformed(d *Device, link Link, r *Reading) {
	if !link.Connected() {
		return
	}
	good := string(r.AppendJSON(nil, true))
	bad := []string{
		good[:len(good)/2], // truncated: not_json
		`{"ts":` + tsJSON(r.TS) + `,"purity_pct":140}`,          // out_of_range
		`{"ts":` + tsJSON(r.TS) + `,"flow_lpm":3,"flow_lpm":4}`, // duplicate_key
		`{"ts":"yesterday","purity_pct":93}`,                    // bad_ts
		`{"ts":` + tsJSON(r.TS) + `,"firmware":"2.1"}`,          // no_values
		`{"purity_pct":"93"}`,                                   // bad_type
	}
	payload := bad[d.malformN%len(bad)]
	d.malformN++
	if link.Publish([]byte(payload)) == nil {
		s.Stats.Malformed.Add(1)
	}
}

func tsJSON(t time.Time) string {
	return `"` + t.UTC().Format(tsLayout) + `"`
}
