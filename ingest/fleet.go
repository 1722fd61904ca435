package ingest

import (
	"sort"
	"sync"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// DeviceState is what ingest knows of a device right now (plant.LiveState).
type DeviceState = plant.LiveState

// Fleet tracks the live state of every device that has spoken. It is what
// tells a live reading from a late backlog one.
type Fleet struct {
	mu      sync.RWMutex
	devices map[plant.DeviceID]*DeviceState
}

// NewFleet returns an empty tracker.
func NewFleet() *Fleet { return &Fleet{devices: map[plant.DeviceID]*DeviceState{}} }

func (f *Fleet) get(id plant.DeviceID) *DeviceState {
	s, ok := f.devices[id]
	if !ok {
		s = &DeviceState{}
		f.devices[id] = s
	}
	return s
}

// Reading records a durable reading and reports whether it is live: not
// older than the newest reading already seen from its device.
func (f *Fleet) Reading(r *plant.Reading, received time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.get(r.Device)
	if received.After(s.LastSeen) {
		s.LastSeen = received
	}
	if r.Time.Before(s.Newest) {
		return false
	}
	s.Newest = r.Time
	cp := *r
	s.LastReading = &cp
	s.Connectivity = plant.Online
	return true
}

// Status records a message from the status topic.
func (f *Fleet) Status(m plant.StatusMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.get(m.Device)
	s.Connectivity = m.State
}

// Error records the latest problem with a device's input: code says why
// (a Reason, or ErrorUnknownWord), msg the detail.
func (f *Fleet) Error(id plant.DeviceID, code, msg string, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.get(id)
	s.LastErrorCode, s.LastError, s.LastErrorAt = code, msg, at
}

// ErrorUnknownWord is the last_error_code of a reading stored with its
// state or power unknown: not a rejection, so not a Reason.
const ErrorUnknownWord = "unknown_word"

// Get returns a copy of one device's state.
func (f *Fleet) Get(id plant.DeviceID) (DeviceState, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	s, ok := f.devices[id]
	if !ok {
		return DeviceState{}, false
	}
	return *s, true
}

// Restore seeds the tracker after a restart, so the first reading after it is
// judged live or late against what was known.
func (f *Fleet) Restore(id plant.DeviceID, st DeviceState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cp := st
	f.devices[id] = &cp
}

// Snapshot returns a copy of every device's state, by id.
func (f *Fleet) Snapshot() map[plant.DeviceID]DeviceState {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make(map[plant.DeviceID]DeviceState, len(f.devices))
	for id, s := range f.devices {
		out[id] = *s
	}
	return out
}

// Len is the number of devices seen (and restored from the last run).
func (f *Fleet) Len() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return len(f.devices)
}

// IDs returns the ids of every device seen, sorted.
func (f *Fleet) IDs() []plant.DeviceID {
	f.mu.RLock()
	ids := make([]plant.DeviceID, 0, len(f.devices))
	for id := range f.devices {
		ids = append(ids, id)
	}
	f.mu.RUnlock()
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
