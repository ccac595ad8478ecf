package app

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/notifypush/notify_push/domain"
)

// PreAuth is the concurrency-safe store of one-time login tokens.
//
// Tokens are held by their HMAC-SHA256 under a key drawn at start, never as
// given: a map lookup's timing depends on the bytes of its key, and a digest
// the client cannot compute tells a guesser nothing about how close a guess
// came. It also keeps live tokens out of memory dumps.
type PreAuth struct {
	key []byte

	mu     sync.Mutex
	tokens *domain.PreAuthTokens
	// added is closed (and replaced) whenever a token arrives, to wake
	// logins waiting for theirs.
	added chan struct{}
}

// NewPreAuth makes an empty store.
func NewPreAuth() *PreAuth {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails: crypto/rand aborts the process instead
	return &PreAuth{key: key, tokens: domain.NewPreAuthTokens(), added: make(chan struct{})}
}

func (p *PreAuth) digest(token string) string {
	mac := hmac.New(sha256.New, p.key)
	mac.Write([]byte(token))
	return string(mac.Sum(nil))
}

// Add remembers token for user. An empty token is ignored.
func (p *PreAuth) Add(token string, user domain.UserID, now time.Time) {
	if token == "" {
		return
	}
	d := p.digest(token)
	p.mu.Lock()
	p.tokens.Add(d, user, now)
	close(p.added)
	p.added = make(chan struct{})
	p.mu.Unlock()
}

// arrivals is closed when the next token arrives.
func (p *PreAuth) arrivals() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.added
}

// Take consumes token: it works once, within domain.PreAuthLifetime of Add.
func (p *PreAuth) Take(token string, now time.Time) (domain.UserID, bool) {
	if token == "" {
		return "", false
	}
	d := p.digest(token)
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokens.Take(d, now)
}

// Purge drops expired tokens.
func (p *PreAuth) Purge(now time.Time) {
	p.mu.Lock()
	p.tokens.Purge(now)
	p.mu.Unlock()
}
