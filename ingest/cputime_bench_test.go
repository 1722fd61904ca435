//go:build unix

package ingest

import (
	"syscall"
	"time"
)

// cpuTime is the CPU the process has used so far, user and system, all
// goroutines and the garbage collector included.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
