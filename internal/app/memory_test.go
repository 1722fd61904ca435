package app

import (
	"strings"
	"testing"

	"github.com/oxywatch/oxywatch/internal/config"
)

func TestMemoryLimit(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	for _, c := range []struct {
		mib, devices int
		want         int64
	}{
		{0, 0, 64 << 20},
		{0, 1000, 64<<20 + 1000*64<<10},
		{-1, 1000, 0},
		{200, 1000, 200 << 20},
	} {
		if got := memoryLimit(c.mib, c.devices); got != c.want {
			t.Errorf("memory_limit_mib %d with %d devices: %d bytes, want %d", c.mib, c.devices, got, c.want)
		}
	}
	t.Setenv("GOMEMLIMIT", "1GiB")
	if got := memoryLimit(100, 10); got != 0 {
		t.Errorf("with GOMEMLIMIT set, memory_limit_mib still set %d bytes", got)
	}
	cfg := config.Defaults()
	cfg.AdminToken = "0123456789abcdefghijklmnopqrstuv"
	cfg.MemoryLimitMiB = 16
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "memory_limit_mib") {
		t.Errorf("memory_limit_mib 16: %v, want an error naming the key", err)
	}
}
