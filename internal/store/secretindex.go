package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"sync"
	"time"
)

// hashed is a stored secret's record: its SHA-256 and whether it was
// revoked.
type hashed interface {
	secretHash() []byte
	Revoked() bool
}

// secretIndex finds the live record of a secret by its hash, reloading
// from the database so changes made by another process (the token
// commands) take effect: at most every reloadAge, and on a miss at most
// every missAge, so guessing cannot turn into a query each. API tokens and
// device tokens share it.
type secretIndex[T hashed] struct {
	now  func() time.Time
	list func(ctx context.Context) ([]T, error)

	mu       sync.RWMutex
	byHash   map[[sha256.Size]byte]T
	loadedAt time.Time
	loading  sync.Mutex
}

// reload reads every record and keeps the live ones.
func (x *secretIndex[T]) reload(ctx context.Context) error {
	list, err := x.list(ctx)
	if err != nil {
		return err
	}
	idx := make(map[[sha256.Size]byte]T, len(list))
	for _, rec := range list {
		if h := rec.secretHash(); !rec.Revoked() && len(h) == sha256.Size {
			idx[[sha256.Size]byte(h)] = rec
		}
	}
	x.mu.Lock()
	x.byHash, x.loadedAt = idx, x.now()
	x.mu.Unlock()
	return nil
}

// lookup returns the live record of secret. The map finds the candidate;
// the constant-time compare is the check that decides.
func (x *secretIndex[T]) lookup(secret string) (T, bool) {
	h := HashToken(secret)
	x.refresh(tokenReload)
	x.mu.RLock()
	rec, ok := x.byHash[h]
	x.mu.RUnlock()
	if !ok {
		// A secret made a moment ago by a command works at once.
		x.refresh(tokenMissReload)
		x.mu.RLock()
		rec, ok = x.byHash[h]
		x.mu.RUnlock()
	}
	if !ok || subtle.ConstantTimeCompare(rec.secretHash(), h[:]) != 1 {
		var none T
		return none, false
	}
	return rec, true
}

// refresh reloads the index when it is older than maxAge. A failed reload
// keeps the old index.
func (x *secretIndex[T]) refresh(maxAge time.Duration) {
	x.mu.RLock()
	fresh := x.now().Sub(x.loadedAt) < maxAge
	x.mu.RUnlock()
	if fresh || !x.loading.TryLock() {
		return
	}
	defer x.loading.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = x.reload(ctx)
}
