package memory

import (
	"context"
	"sync"
	"time"

	"github.com/notifypush/notify_push/ports"
)

// Instances keeps instance reports in the process: the embedded server is
// the only instance there is, but its metrics answer goes the same way.
type Instances struct {
	mu      sync.Mutex
	reports map[string]expiring
}

type expiring struct {
	value   string
	expires time.Time
}

var _ ports.Instances = (*Instances)(nil)

// NewInstances makes an empty registry.
func NewInstances() *Instances { return &Instances{reports: make(map[string]expiring)} }

// Announce stores report as instance's for ttl.
func (s *Instances) Announce(ctx context.Context, instance, report string, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	s.reports[instance] = expiring{value: report, expires: time.Now().Add(ttl)}
	s.mu.Unlock()
	return nil
}

// Reports returns the live reports.
func (s *Instances) Reports(ctx context.Context) (map[string]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	live := make(map[string]string, len(s.reports))
	for id, r := range s.reports {
		if now.Before(r.expires) {
			live[id] = r.value
		} else {
			delete(s.reports, id)
		}
	}
	return live, nil
}

// Leave removes instance's report.
func (s *Instances) Leave(ctx context.Context, instance string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.reports, instance)
	s.mu.Unlock()
	return nil
}

// TokenClaims remembers claimed pre-auth tokens in the process.
type TokenClaims struct {
	mu     sync.Mutex
	claims map[string]time.Time
	purged time.Time // when expired claims were last dropped
}

var _ ports.TokenClaims = (*TokenClaims)(nil)

// NewTokenClaims makes an empty set of claims.
func NewTokenClaims() *TokenClaims { return &TokenClaims{claims: make(map[string]time.Time)} }

// Claim marks key used for ttl; false when it was claimed and has not expired.
func (c *TokenClaims) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.purged) >= ttl { // at most once a lifetime: a login storm stays linear
		c.purged = now
		for k, expires := range c.claims {
			if !now.Before(expires) {
				delete(c.claims, k)
			}
		}
	}
	if expires, ok := c.claims[key]; ok && now.Before(expires) {
		return false, nil
	}
	c.claims[key] = now.Add(ttl)
	return true, nil
}
