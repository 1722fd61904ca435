package plant

import "testing"

func TestCauseCode(t *testing.T) {
	for cause, want := range map[string]string{
		"compressor_fault":                 "compressor_fault",
		" mains_loss ":                     "mains_loss",
		"compressor_fault: worn rings":     "compressor_fault",
		"low_purity, sieve beds exhausted": "low_purity",
		"rats ate the cable":               "",
		"compressor fault":                 "",
	} {
		if got := CauseCode(cause); got != want {
			t.Errorf("CauseCode(%q) = %q, want %q", cause, got, want)
		}
	}
}
