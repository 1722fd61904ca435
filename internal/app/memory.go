package app

import (
	"context"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"time"
)

// Automatic memory limit (memory_limit_mib: 0): a base for the server
// itself plus a share per device, which is mostly the embedded broker's
// two goroutines and buffers per connection (make bench: 1000 devices
// need 90–120 MiB of Go memory at full speed). A limit below what the
// process really holds makes the garbage collector run all the time, so
// it follows the fleet as it grows.
const (
	autoMemoryBase      = 64 << 20
	autoMemoryPerDevice = 64 << 10
	memoryLimitEvery    = 2 * time.Second
)

// memoryLimit is the soft limit in bytes memory_limit_mib asks for with
// the given number of devices; 0 means none.
func memoryLimit(mib, devices int) int64 {
	switch {
	case os.Getenv("GOMEMLIMIT") != "" || mib < 0:
		return 0 // the operator's GOMEMLIMIT wins; negative: no limit
	case mib > 0:
		return int64(mib) << 20
	default:
		return autoMemoryBase + int64(devices)*autoMemoryPerDevice
	}
}

// setMemoryLimit gives the Go runtime the soft memory limit of
// memory_limit_mib for this many devices. Near the limit the garbage
// collector runs more often rather than the process growing; it never
// refuses memory, so a fleet larger than the limit was sized for costs
// CPU, not readings.
func setMemoryLimit(mib, devices int, log *slog.Logger) {
	limit := memoryLimit(mib, devices)
	if limit == 0 {
		if os.Getenv("GOMEMLIMIT") == "" {
			debug.SetMemoryLimit(math.MaxInt64)
		}
		return
	}
	if old := debug.SetMemoryLimit(limit); old != limit {
		log.Debug("Go memory limit set", "mib", limit>>20, "devices", devices)
	}
}

// followMemoryLimit raises the automatic limit as devices appear.
func (a *App) followMemoryLimit(ctx context.Context) {
	if a.cfg.MemoryLimitMiB != 0 {
		return
	}
	every(ctx, memoryLimitEvery, func() { setMemoryLimit(0, a.ingest.Fleet().Len(), a.log) })
}
