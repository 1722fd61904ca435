package api

import (
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Failed logins are limited per client address, so tokens cannot be
// guessed at the speed of the network: each address has an allowance of
// maxAuthFailures failures that refills over authRefill. While it is spent
// the address gets 429 with Retry-After for every token it presents, a
// right guess included, and its tokens are not even checked.
const (
	maxAuthFailures = 10
	authRefill      = time.Minute
	// maxLoginAddrs bounds the addresses tracked; beyond it new addresses
	// share one allowance, so many addresses cannot exhaust memory.
	maxLoginAddrs = 100000
)

// The client address is the connection's: X-Forwarded-For is not trusted,
// so behind a reverse proxy every client shares the proxy's allowance.
// IPv6 addresses count by /64, the block one client usually holds.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.To4() != nil {
		return host
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// loginLimiter is a token bucket of failed logins per client address.
type loginLimiter struct {
	now      func() time.Time
	log      *slog.Logger
	failures *prometheus.CounterVec

	mu    sync.Mutex
	addrs map[string]*loginBucket
}

type loginBucket struct {
	allowance float64
	last      time.Time
	limited   bool // the limit was logged; cleared when the allowance is back
}

const overflowAddr = "(other addresses)"

func newLoginLimiter(now func() time.Time, log *slog.Logger, reg prometheus.Registerer) *loginLimiter {
	failures := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "oxywatch_api_auth_failures_total",
		Help: "API requests refused authentication, by reason: missing_token, invalid_token, rate_limited (the address failed too often).",
	}, []string{"reason"})
	if err := reg.Register(failures); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			failures = are.ExistingCollector.(*prometheus.CounterVec)
		}
	}
	return &loginLimiter{now: now, log: log, failures: failures, addrs: map[string]*loginBucket{}}
}

// bucket returns addr's bucket, refilled up to now; the caller holds mu.
func (l *loginLimiter) bucket(addr string) *loginBucket {
	b, ok := l.addrs[addr]
	if !ok && addr != overflowAddr && len(l.addrs) >= maxLoginAddrs {
		l.sweep()
		if len(l.addrs) >= maxLoginAddrs {
			return l.bucket(overflowAddr)
		}
	}
	if !ok {
		b = &loginBucket{allowance: maxAuthFailures, last: l.now()}
		l.addrs[addr] = b
		return b
	}
	now := l.now()
	b.allowance = math.Min(maxAuthFailures, b.allowance+now.Sub(b.last).Seconds()*maxAuthFailures/authRefill.Seconds())
	b.last = now
	if b.allowance >= 1 {
		b.limited = false
	}
	return b
}

// sweep forgets the addresses whose allowance is full again.
func (l *loginLimiter) sweep() {
	now := l.now()
	for addr, b := range l.addrs {
		if b.allowance+now.Sub(b.last).Seconds()*maxAuthFailures/authRefill.Seconds() >= maxAuthFailures {
			delete(l.addrs, addr)
		}
	}
}

// wait is how long addr must wait before presenting a token; 0 when it may.
func (l *loginLimiter) wait(addr string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.addrs[addr]; !ok {
		if len(l.addrs) < maxLoginAddrs {
			return 0 // no failures on record
		}
		addr = overflowAddr
	}
	b := l.bucket(addr)
	if b.allowance >= 1 {
		return 0
	}
	return time.Duration((1 - b.allowance) / maxAuthFailures * float64(authRefill))
}

// failed takes one failure from addr's allowance, and logs when that
// spends it.
func (l *loginLimiter) failed(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(addr)
	b.allowance = math.Max(0, b.allowance-1)
	if b.allowance < 1 && !b.limited {
		b.limited = true
		l.log.Warn("failed logins rate-limited", "client", addr, "failures", maxAuthFailures, "per", authRefill)
	}
}

// refuseLimited answers 429 when the caller's address has spent its
// allowance of failed logins; it reports whether it did.
func (s *server) refuseLimited(w http.ResponseWriter, r *http.Request, addr string) bool {
	wait := s.logins.wait(addr)
	if wait <= 0 {
		return false
	}
	s.logins.failures.WithLabelValues("rate_limited").Inc()
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	problemT(w, r, http.StatusTooManyRequests, "api.login_rate_limited")
	return true
}
