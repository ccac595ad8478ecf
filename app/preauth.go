package app

import (
	"sync"
	"time"

	"github.com/notifypush/notify_push/domain"
)

// PreAuth is the concurrency-safe store of one-time login tokens.
type PreAuth struct {
	mu     sync.Mutex
	tokens *domain.PreAuthTokens
}

// NewPreAuth makes an empty store.
func NewPreAuth() *PreAuth { return &PreAuth{tokens: domain.NewPreAuthTokens()} }

// Add remembers token for user.
func (p *PreAuth) Add(token string, user domain.UserID, now time.Time) {
	p.mu.Lock()
	p.tokens.Add(token, user, now)
	p.mu.Unlock()
}

// Take consumes token.
func (p *PreAuth) Take(token string, now time.Time) (domain.UserID, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokens.Take(token, now)
}

// Purge drops expired tokens.
func (p *PreAuth) Purge(now time.Time) {
	p.mu.Lock()
	p.tokens.Purge(now)
	p.mu.Unlock()
}
