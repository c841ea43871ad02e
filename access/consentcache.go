package access

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// maxCachedConsents bounds the consent cache; when it is full the expired
// entries are dropped, and if none is, the whole cache.
const maxCachedConsents = 1 << 16

// WithConsentCache keeps each patient's consent (or that the patient has
// none), as read by checks made outside a transaction, for up to bound (by
// the guard's clock), so a read does not fetch the Consent record every
// time. A consent written through this guard replaces the cached one when
// its transaction commits: the reads that start after SetConsent returned
// see it. A consent written by another process, or through another guard,
// reaches this guard's decisions at most bound later: until then a read it
// denies may still be allowed. Checks inside a transaction (Update, Act)
// always read the consent through the transaction. A zero bound (the
// default) turns the cache off.
func WithConsentCache(bound time.Duration) Option {
	return func(g *Store) { g.consents.bound = max(bound, 0) }
}

// consentCache holds consents read outside transactions. gen counts
// invalidations, so that a read that fetched a consent before a write
// committed does not store it after the write's invalidation.
type consentCache struct {
	bound time.Duration
	mu    sync.RWMutex
	gen   uint64
	m     map[string]cachedConsent
}

type cachedConsent struct {
	c     *Consent // nil: the patient has no consent
	until time.Time
}

// get returns the consent of compartment, from the cache while it is
// younger than the bound, else read through r.
func (cc *consentCache) get(ctx context.Context, r storage.Reader, now time.Time, compartment string) (*Consent, error) {
	cc.mu.RLock()
	e, ok := cc.m[compartment]
	gen := cc.gen
	cc.mu.RUnlock()
	if ok && now.Before(e.until) {
		return e.c, nil
	}
	c, err := loadConsent(ctx, r, compartment)
	if err != nil {
		return nil, err
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.gen != gen {
		return c, nil // a consent was written meanwhile: c may predate it
	}
	if cc.m == nil || len(cc.m) >= maxCachedConsents {
		cc.sweep(now)
	}
	cc.m[compartment] = cachedConsent{c: c, until: now.Add(cc.bound)}
	return c, nil
}

// sweep drops expired entries, or all of them if none is, cc.mu held.
func (cc *consentCache) sweep(now time.Time) {
	for k, e := range cc.m {
		if !now.Before(e.until) {
			delete(cc.m, k)
		}
	}
	if cc.m == nil || len(cc.m) >= maxCachedConsents {
		cc.m = map[string]cachedConsent{}
	}
}

// invalidate drops the cached consents of compartments.
func (cc *consentCache) invalidate(compartments []string) {
	if cc.bound == 0 || len(compartments) == 0 {
		return
	}
	cc.mu.Lock()
	cc.gen++
	for _, c := range compartments {
		delete(cc.m, c)
	}
	cc.mu.Unlock()
}

// loadConsent reads the consent of compartment through r: nil when it has
// none.
func loadConsent(ctx context.Context, r storage.Reader, compartment string) (*Consent, error) {
	rec, err := r.Get(ctx, ConsentType, compartment)
	switch {
	case errors.Is(err, ehrkit.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	v, err := consents.Decode(rec)
	if err != nil {
		return nil, err
	}
	return &v, nil
}
