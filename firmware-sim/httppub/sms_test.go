package httppub

import (
	"slices"
	"testing"
)

// The module texts what changed, in the wordings OxyWatch's built-in SMS
// patterns read (internal/smsalarm).
func TestModuleTexts(t *testing.T) {
	var st moduleState
	p := func(v float64) *float64 { return &v }
	steps := []struct {
		purity *float64
		power  string
		alarms []string
		want   []string
	}{
		{p(93), "mains", nil, nil},
		{p(85), "mains", []string{"low_purity"}, []string{"PSA-1 ALARM LOW PURITY 85.0%"}},
		{p(85), "mains", []string{"low_purity"}, nil},
		{p(85), "none", []string{"low_purity", "compressor_fault"}, []string{"PSA-1 COMPRESSOR FAULT", "PSA-1 POWER FAIL"}},
		{p(93), "mains", nil, []string{"PSA-1 ALARM CLEAR", "PSA-1 POWER RESTORED"}},
		{p(93), "battery", nil, []string{"PSA-1 ON BATTERY"}},
	}
	for i, s := range steps {
		if got := moduleTexts("psa-1", &st, s.purity, s.power, s.alarms); !slices.Equal(got, s.want) {
			t.Errorf("step %d: %q, want %q", i, got, s.want)
		}
	}
}
