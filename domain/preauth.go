package domain

import "time"

// PreAuthLifetime is how long a token from notify_pre_auth may be used.
const PreAuthLifetime = 15 * time.Second

type preAuth struct {
	user    UserID
	created time.Time
}

type queuedToken struct {
	token   string
	created time.Time
}

// PreAuthTokens holds one-time login tokens. Not safe for concurrent use.
type PreAuthTokens struct {
	tokens map[string]preAuth
	// order holds tokens in arrival order, so expiry is found at the head
	// without scanning the map.
	order []queuedToken
}

// NewPreAuthTokens makes an empty token store.
func NewPreAuthTokens() *PreAuthTokens {
	return &PreAuthTokens{tokens: make(map[string]preAuth)}
}

// Add remembers token as a login for user, received at now. Expired tokens are
// purged first so that the store cannot grow without bound.
func (t *PreAuthTokens) Add(token string, user UserID, now time.Time) {
	if token == "" {
		return
	}
	t.Purge(now)
	t.tokens[token] = preAuth{user: user, created: now}
	t.order = append(t.order, queuedToken{token: token, created: now})
}

// Take consumes token and returns its user when it was received less than
// PreAuthLifetime before now. A token works once.
func (t *PreAuthTokens) Take(token string, now time.Time) (UserID, bool) {
	p, ok := t.tokens[token]
	if !ok {
		return "", false
	}
	delete(t.tokens, token)
	if expired(p.created, now) {
		return "", false
	}
	return p.user, true
}

// Purge drops every token that has expired at now.
func (t *PreAuthTokens) Purge(now time.Time) {
	n := 0
	for n < len(t.order) && expired(t.order[n].created, now) {
		q := t.order[n]
		// The map entry may be a newer Add of the same token; keep that one.
		if p, ok := t.tokens[q.token]; ok && p.created.Equal(q.created) {
			delete(t.tokens, q.token)
		}
		n++
	}
	if n > 0 {
		t.order = append(t.order[:0:0], t.order[n:]...)
	}
}

// Len is the number of tokens held.
func (t *PreAuthTokens) Len() int { return len(t.tokens) }

func expired(created, now time.Time) bool {
	return now.Sub(created) >= PreAuthLifetime
}
