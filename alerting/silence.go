package alerting

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// Silence mutes the notifications of alerts it matches (plant.Silence).
type Silence = plant.Silence

// silences is the in-memory copy of the silences table.
type silences struct {
	mu   sync.RWMutex
	list []Silence
	n    atomic.Int32 // len(list), read without the lock on the hot path
}

func newSilences() *silences { return &silences{} }

func (s *silences) set(list []Silence) {
	s.mu.Lock()
	s.list = list
	s.n.Store(int32(len(list)))
	s.mu.Unlock()
}

func (s *silences) add(x Silence) {
	s.mu.Lock()
	s.list = append(s.list, x)
	s.n.Store(int32(len(s.list)))
	s.mu.Unlock()
}

func (s *silences) remove(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.list, func(x Silence) bool { return x.ID == id })
	if i < 0 {
		return false
	}
	s.list = slices.Delete(s.list, i, i+1)
	s.n.Store(int32(len(s.list)))
	return true
}

func (s *silences) all() []Silence {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.list)
}

// matches reports whether an active silence mutes an alert of rule on dev.
func (s *silences) matches(dev plant.DeviceID, facility, region, rule string, now int64) bool {
	return s.find(now, func(x *Silence) bool {
		return (x.Rule == "" || x.Rule == rule) && x.MatchesDevice(dev, facility, region)
	})
}

// maintenance reports whether an active maintenance silence covers dev.
func (s *silences) maintenance(dev plant.DeviceID, facility, region string, now int64) bool {
	return s.find(now, func(x *Silence) bool { return x.Maintenance && x.MatchesDevice(dev, facility, region) })
}

func (s *silences) find(now int64, fn func(*Silence) bool) bool {
	if s.n.Load() == 0 {
		return false
	}
	t := time.Unix(0, now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i := range s.list {
		if x := &s.list[i]; x.Active(t) && fn(x) {
			return true
		}
	}
	return false
}
