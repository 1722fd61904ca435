package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Role is what a token may do. Each role can do what the one before can.
type Role string

const (
	RoleViewer   Role = "viewer"   // read
	RoleEngineer Role = "engineer" // + acknowledge, silence, log maintenance
	RoleAdmin    Role = "admin"    // + registry, contacts, tokens, audit
)

func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleEngineer:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// ParseRole reads a role name.
func ParseRole(s string) (Role, bool) {
	r := Role(s)
	return r, r.rank() > 0
}

// Principal is who is calling: a token's identity, role and regions.
type Principal struct {
	ID      string
	Name    string
	Role    Role
	Regions []string // nil or empty: every region
}

// Limited reports whether the principal is limited to some regions.
func (p *Principal) Limited() bool { return len(p.Regions) > 0 }

// Sees reports whether the principal may see things of region.
func (p *Principal) Sees(region string) bool {
	return !p.Limited() || slices.Contains(p.Regions, region)
}

// Actor names the principal in the audit log and acknowledgements; never
// the secret.
func (p *Principal) Actor() string {
	if p.Name != "" {
		return p.Name + " (token " + p.ID + ")"
	}
	return "token " + p.ID
}

type principalKey struct{}
type holderKey struct{}

// principalHolder lets the logging middleware, outside authentication,
// name the token in the request log line.
type principalHolder struct{ p *Principal }

func principal(r *http.Request) *Principal {
	p, _ := r.Context().Value(principalKey{}).(*Principal)
	return p
}

// authenticate resolves the bearer token. It answers 401 without one.
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := bearer(r)
		if !ok {
			s.logins.failures.WithLabelValues("missing_token").Inc()
			w.Header().Set("WWW-Authenticate", `Bearer realm="oxywatch"`)
			problemT(w, r, http.StatusUnauthorized, "api.missing_token")
			return
		}
		addr := clientAddr(r)
		if s.refuseLimited(w, r, addr) {
			return
		}
		p, ok := s.lookup(secret)
		if !ok {
			s.logins.failures.WithLabelValues("invalid_token").Inc()
			s.logins.failed(addr)
			w.Header().Set("WWW-Authenticate", `Bearer realm="oxywatch", error="invalid_token"`)
			problemT(w, r, http.StatusUnauthorized, "api.unknown_token")
			return
		}
		if h, _ := r.Context().Value(holderKey{}).(*principalHolder); h != nil {
			h.p = p
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, secret, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	secret = strings.TrimSpace(secret)
	return secret, secret != ""
}

func (s *server) lookup(secret string) (*Principal, bool) {
	if s.opt.AdminToken != "" {
		a, b := sha256.Sum256([]byte(secret)), sha256.Sum256([]byte(s.opt.AdminToken))
		if subtle.ConstantTimeCompare(a[:], b[:]) == 1 {
			return &Principal{ID: "config", Name: "admin_token", Role: RoleAdmin}, true
		}
	}
	if s.opt.Tokens == nil {
		return nil, false
	}
	tok, ok := s.opt.Tokens.Lookup(secret)
	if !ok {
		return nil, false
	}
	role, ok := ParseRole(tok.Role)
	if !ok {
		return nil, false
	}
	return &Principal{ID: tok.ID, Name: tok.Name, Role: role, Regions: tok.Regions}, true
}

// need answers 403 unless the caller holds at least role.
func need(role Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if p := principal(r); p == nil || p.Role.rank() < role.rank() {
				problemT(w, r, http.StatusForbidden, "api.needs_role", string(role))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// needUnlimited is need for routes over the whole system (tokens, audit):
// a region-limited token may not use them whatever its role.
func needUnlimited(role Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return need(role)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if principal(r).Limited() {
				problemT(w, r, http.StatusForbidden, "api.region_limited")
				return
			}
			next.ServeHTTP(w, r)
		}))
	}
}

// limiter is a token bucket per API token.
type limiter struct {
	rate  float64
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate float64, burst int, now func() time.Time) *limiter {
	return &limiter{rate: rate, burst: float64(burst), now: now, buckets: map[string]*bucket{}}
}

// allow takes one request from id's bucket, or says how long to wait.
func (l *limiter) allow(id string) (bool, time.Duration) {
	if l.rate < 0 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[id]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[id] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	}
	b.tokens--
	return true, 0
}

func (s *server) rateLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, wait := s.limiter.allow(principal(r).ID)
		if !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			problemT(w, r, http.StatusTooManyRequests, "api.rate_limited")
			return
		}
		next.ServeHTTP(w, r)
	})
}
