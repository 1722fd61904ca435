package config

// A configured admin_token is an unlimited admin for anyone who guesses
// it, so it must look like a secret: long, and not a few characters
// repeated. A generated one (admin_token empty) always is.
const (
	minAdminTokenLen      = 24
	minAdminTokenDistinct = 8
)

// validateAdminToken names admin_token when it is too weak; the message
// never shows the token.
func (c *Config) validateAdminToken(bad func(string, string, ...any)) {
	tok := c.AdminToken
	if tok == "" {
		return
	}
	distinct := map[rune]bool{}
	for _, r := range tok {
		distinct[r] = true
	}
	switch {
	case len(tok) < minAdminTokenLen:
		bad("admin_token", "is %d characters; use at least %d random ones (e.g. from: openssl rand -base64 32), or leave it empty to have one generated", len(tok), minAdminTokenLen)
	case len(distinct) < minAdminTokenDistinct:
		bad("admin_token", "has only %d different characters; use at least %d random ones (e.g. from: openssl rand -base64 32)", len(distinct), minAdminTokenLen)
	}
}
