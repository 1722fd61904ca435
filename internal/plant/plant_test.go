package plant

import (
	"regexp"
	"strings"
	"testing"
)

// The contract states the rule as a regular expression; the loop must agree.
var contractID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func FuzzValidDeviceID(f *testing.F) {
	for _, s := range []string{"psa-001", "", "-a", "a+b", "a#", "A.b_c-d", strings.Repeat("a", 64), strings.Repeat("a", 65), "é", "a/b", "a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidDeviceID(s), contractID.MatchString(s); got != want {
			t.Fatalf("ValidDeviceID(%q) = %v, the contract's pattern says %v", s, got, want)
		}
	})
}
