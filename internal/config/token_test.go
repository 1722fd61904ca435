package config

import (
	"strings"
	"testing"
)

// TestAdminTokenStrength (issue 13 finding 9): a configured admin_token
// must be long and varied enough to withstand guessing; the error names the
// key, not the secret.
func TestAdminTokenStrength(t *testing.T) {
	for _, c := range []struct {
		token string
		ok    bool
	}{
		{"", true}, // generated on first start
		{"x", false},
		{"change-me", false},
		{"01234567890123456789012", false}, // 23 characters
		{"abababababababababababababababab", false},
		{"e2e-admin-token-0123456789abcdef", true},
		{"3q0Jx7v-NfT2pYb9LrWm5sKd1HgZcQe4", true},
	} {
		_, _, err := Load("testdata/good/minimal.yaml", []string{"OXYWATCH_ADMIN_TOKEN=" + c.token})
		switch {
		case c.ok && err != nil:
			t.Errorf("%q: got %v, want it accepted", c.token, err)
		case !c.ok && (err == nil || !strings.Contains(err.Error(), "admin_token")):
			t.Errorf("%q: got %v, want an error naming admin_token", c.token, err)
		case !c.ok && len(c.token) > 2 && strings.Contains(err.Error(), c.token):
			t.Errorf("%q: the error shows the secret: %v", c.token, err)
		}
	}
}
