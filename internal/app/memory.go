package app

import (
	"log/slog"
	"os"
	"runtime/debug"
)

// setMemoryLimit gives the Go runtime the soft memory limit of
// memory_limit_mib, unless GOMEMLIMIT is set (the operator's word wins).
// Near the limit the garbage collector runs more often rather than the
// process growing; it never refuses memory, so a fleet larger than the
// limit was sized for costs CPU, not readings. It returns the limit in
// force, in bytes (math.MaxInt64: none).
func setMemoryLimit(mib int, log *slog.Logger) int64 {
	if os.Getenv("GOMEMLIMIT") != "" || mib <= 0 {
		return debug.SetMemoryLimit(-1)
	}
	limit := int64(mib) << 20
	debug.SetMemoryLimit(limit)
	log.Debug("Go memory limit set", "memory_limit_mib", mib)
	return limit
}
