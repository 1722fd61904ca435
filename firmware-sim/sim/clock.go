package sim

import (
	"context"
	"time"
)

// Clock maps simulated time onto real time. Simulated time runs Speed times
// faster than real time from (RealStart, SimStart), but never runs ahead of
// the real present: the server rejects readings more than 5 minutes in the
// future, so an accelerated run that started in the past slows to real time
// when it catches up.
type Clock struct {
	RealStart time.Time
	SimStart  time.Time
	Speed     float64          // simulated seconds per real second; > 0
	Now       func() time.Time // real clock; nil: time.Now

	timer *time.Timer
}

func (c *Clock) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// RealAt is the real time at which the simulation reaches sim.
func (c *Clock) RealAt(sim time.Time) time.Time {
	ahead := c.RealStart.Add(time.Duration(float64(sim.Sub(c.SimStart)) / c.Speed))
	if sim.After(ahead) && !c.SimStart.After(c.RealStart) {
		return sim // caught up with the present: real time
	}
	return ahead
}

// SimNow is the simulated time now.
func (c *Clock) SimNow() time.Time {
	real := c.now()
	sim := c.SimStart.Add(time.Duration(float64(real.Sub(c.RealStart)) * c.Speed))
	if sim.After(real) && !c.SimStart.After(c.RealStart) {
		return real
	}
	return sim
}

// Wait blocks until the simulation reaches sim or ctx ends.
func (c *Clock) Wait(ctx context.Context, sim time.Time) error {
	d := c.RealAt(sim).Sub(c.now())
	if d <= 0 {
		return ctx.Err()
	}
	if c.timer == nil {
		c.timer = time.NewTimer(d)
	} else {
		c.timer.Reset(d)
	}
	select {
	case <-ctx.Done():
		c.timer.Stop()
		return ctx.Err()
	case <-c.timer.C:
		return nil
	}
}
