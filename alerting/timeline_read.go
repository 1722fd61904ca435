package alerting

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// Reader reads what the server's engine writes, from the tables alone:
// status timelines and maintenance clocks. `oxywatch report` runs it beside
// a running server (SQLite lets one process write while others read)
// without building an engine, and it never writes.
//
// The one thing the tables hold only approximately is how far the newest
// readings of a device reporting right now reach: the server saves it with
// each checkpoint (Options.Checkpoint, a minute by default). An open
// interval whose saved coverage reaches within Grace of now is taken as
// still open; otherwise it ends where its coverage ended, and no_data
// follows, as the engine would say.
type Reader struct {
	DB     *sql.DB
	Lookup LookupFunc       // the registry: where a device is (maintenance silences) and its kind and model (service intervals)
	Rules  Rules            // the server's rules: service intervals
	Now    func() time.Time // default time.Now
	Grace  time.Duration    // default 2 minutes: one checkpoint and a late one
}

// Timelines returns what Engine.Timelines returns, read from the tables.
// It implements report.TimelineSource.
func (r Reader) Timelines(ctx context.Context, devices []plant.DeviceID, from, to time.Time) (map[plant.DeviceID][]plant.StatusInterval, error) {
	rows, err := timelineRows(ctx, r.DB, devices, from.UnixNano(), to.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("read timelines: %w", err)
	}
	covers, err := r.coverage(ctx)
	if err != nil {
		return nil, fmt.Errorf("read timelines: %w", err)
	}
	sils, err := querySilences(ctx, r.DB)
	if err != nil {
		return nil, fmt.Errorf("read timelines: %w", err)
	}
	now, grace := r.now(), r.Grace
	if grace <= 0 {
		grace = 2 * time.Minute
	}
	open := func(id plant.DeviceID, ivs []plant.StatusInterval) []plant.StatusInterval {
		n := len(ivs)
		if n == 0 || !ivs[n-1].End.IsZero() {
			return ivs
		}
		if c, ok := covers[id]; ok && c.until+grace.Nanoseconds() <= now.UnixNano() {
			ivs[n-1].End = unixUTC(max(c.end, ivs[n-1].Start.UnixNano()))
		}
		return ivs
	}
	info := func(id plant.DeviceID) devInfo {
		d, _ := r.lookup(id)
		return devInfo{facility: d.Facility, region: d.Region}
	}
	return assemble(rows, from, to, open, info, sils), nil
}

// openCover is how far an open row's readings reached at the last
// checkpoint: end in the engine's time, until with the device's clock
// skew added (what Engine.covers compares with now).
type openCover struct{ end, until int64 }

// coverage reads the saved coverage of every device with an open row.
func (r Reader) coverage(ctx context.Context) (map[plant.DeviceID]openCover, error) {
	rows, err := r.DB.QueryContext(ctx, `SELECT t.device, t.end_at, COALESCE(d.state, '{}') FROM alerting_timeline t
		LEFT JOIN alerting_devices d ON d.device = t.device WHERE t.open = 1`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[plant.DeviceID]openCover{}
	for rows.Next() {
		var id plant.DeviceID
		var end int64
		var blob []byte
		if err := rows.Scan(&id, &end, &blob); err != nil {
			return nil, err
		}
		var s saved
		_ = json.Unmarshal(blob, &s) // an unreadable checkpoint: the row's end, no skew
		c := openCover{end: max(end, s.Cover)}
		c.until = c.end
		if s.Skew != nil {
			c.until += *s.Skew
		}
		out[id] = c
	}
	return out, rows.Err()
}

// MaintenanceDue returns what Engine.MaintenanceDue returns for registered
// devices, from the tables: each device's runtime_h at its last checkpoint,
// its newest service records and the service intervals of its rules.
func (r Reader) MaintenanceDue(ctx context.Context) ([]MaintenanceItem, error) {
	runtimes, err := r.runtimes(ctx)
	if err != nil {
		return nil, fmt.Errorf("read maintenance clocks: %w", err)
	}
	type clock struct {
		base float64
		done int64
	}
	service := map[[2]string]clock{}
	rows, err := r.DB.QueryContext(ctx, `SELECT device, component, done_at, runtime_h FROM alerting_service ORDER BY done_at, id`)
	if err != nil {
		return nil, fmt.Errorf("read service records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var dev, comp string
		var c clock
		if err := rows.Scan(&dev, &comp, &c.done, &c.base); err != nil {
			return nil, fmt.Errorf("read service records: %w", err)
		}
		service[[2]string{dev, comp}] = c // the newest wins, as in the engine
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read service records: %w", err)
	}
	rules := newCompiler(r.Rules)
	now := r.now().UnixNano()
	var out []MaintenanceItem
	for id, rt := range runtimes {
		dev, ok := r.lookup(id)
		if !ok {
			continue
		}
		for _, c := range rules.forDevice(dev).comps {
			s := service[[2]string{string(id), c.name}]
			it := c.item(s.base, s.done, rt, now)
			it.Device, it.Facility, it.Region = id, dev.Facility, dev.Region
			out = append(out, it)
		}
	}
	slices.SortFunc(out, func(a, b MaintenanceItem) int {
		return cmp.Or(cmp.Compare(a.Device, b.Device), cmp.Compare(a.Component, b.Component))
	})
	return out, nil
}

func (r Reader) lookup(id plant.DeviceID) (plant.Device, bool) {
	if r.Lookup == nil {
		return plant.Device{}, false
	}
	d, ok := r.Lookup(id)
	d.ID = id
	return d, ok
}

// runtimes reads each device's newest runtime_h from its checkpoint (NaN
// when it never reported one).
func (r Reader) runtimes(ctx context.Context) (map[plant.DeviceID]float64, error) {
	rows, err := r.DB.QueryContext(ctx, `SELECT device, state FROM alerting_devices`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[plant.DeviceID]float64{}
	for rows.Next() {
		var id plant.DeviceID
		var blob []byte
		if err := rows.Scan(&id, &blob); err != nil {
			return nil, err
		}
		var s saved
		rt := math.NaN()
		if json.Unmarshal(blob, &s) == nil && s.Values[3] != nil {
			rt = *s.Values[3]
		}
		out[id] = rt
	}
	return out, rows.Err()
}

func (r Reader) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}
