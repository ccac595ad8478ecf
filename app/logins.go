package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// Logins is the login use case, the inbound port the WebSocket transport
// drives: it checks the two login frames of a client (a pre-auth token, else
// Nextcloud through the AuthGuard) and attaches the connection to the hub.
type Logins struct {
	hub     *Hub
	guard   *AuthGuard
	preAuth *PreAuth
	claims  ports.TokenClaims
	deps    *Dependencies
	clock   ports.Clock
	log     *slog.Logger
	// claimFailures holds back repeats of the warning about claims failing.
	claimFailures *domain.LogLimiter
}

var _ ports.Logins = (*Logins)(nil)

// NewLogins wires the login use case. Credentials are checked by guard, the
// AuthGuard decorating the Nextcloud authenticator; a pre-auth token, which
// every server on the shared Redis receives, is also claimed in claims, so
// that it logs in once across all of them; every login is refused until the
// gating dependencies have answered once.
func NewLogins(hub *Hub, guard *AuthGuard, preAuth *PreAuth, claims ports.TokenClaims, deps *Dependencies,
	clock ports.Clock, log *slog.Logger) *Logins {
	return &Logins{hub: hub, guard: guard, preAuth: preAuth, claims: claims, deps: deps, clock: clock, log: log,
		claimFailures: domain.NewLogLimiter(time.Minute, 0)}
}

// Check refuses every login while the server is starting, then accepts a
// pre-auth token as the password first (whatever the login, which clients
// leave empty), then asks Nextcloud through the guard.
func (l *Logins) Check(ctx context.Context, login, password string, forwardedFor []string) (domain.UserID, error) {
	if err := l.deps.Refusal(ctx); err != nil {
		return "", err
	}
	if password != "" {
		if user, ok := l.preAuth.Take(password, l.clock.Now()); ok {
			return l.claim(ctx, password, user)
		}
	}
	if login == "" {
		// Only a token can log in without a login. A client that has just
		// fetched one from Nextcloud may be faster than the token's way
		// through Redis and our event stream: wait for it a little.
		if user, ok := l.awaitToken(ctx, password); ok {
			return l.claim(ctx, password, user)
		}
		return "", domain.ErrInvalidCredentials
	}
	return l.guard.Authenticate(ctx, login, password, forwardedFor)
}

// claim makes the token, taken here, used across every server on the
// shared Redis: every one of them received it, and only the first login
// with it may succeed. When the claims cannot be reached the token works
// here as it would on a single server, with a warning, rather than refusing
// every pre-auth login.
func (l *Logins) claim(ctx context.Context, token string, user domain.UserID) (domain.UserID, error) {
	digest := sha256.Sum256([]byte("notify_push pre-auth token\x00" + token))
	won, err := l.claims.Claim(ctx, hex.EncodeToString(digest[:]), domain.PreAuthLifetime)
	switch {
	case err != nil:
		if ok, held := l.claimFailures.Allow(struct{}{}, l.clock.Now()); ok {
			l.log.Warn("cannot claim a pre-auth token across instances; it is used once on this server only "+
				"(logged once a minute)", "err", err, "similar_not_logged", held)
		}
		return user, nil
	case !won:
		return "", domain.ErrInvalidCredentials // used on another server already
	}
	return user, nil
}

// preAuthWait bounds how long a login with a token nobody has announced yet
// waits for it; a wrong token is refused after it.
const preAuthWait = 2 * time.Second

// preAuthTokenLen is the length of the app's tokens (PROTOCOL §2): only a
// password of that shape is worth waiting for, so that a client sending an
// empty login with anything else cannot hold a pending login for 2 s.
const preAuthTokenLen = 32

func (l *Logins) awaitToken(ctx context.Context, token string) (domain.UserID, bool) {
	if token == "" {
		return "", false
	}
	var wait ports.Timer
	for {
		arrived := l.preAuth.arrivals() // before Take: a token added in between wakes us
		if user, ok := l.preAuth.Take(token, l.clock.Now()); ok {
			return user, true
		}
		if len(token) != preAuthTokenLen {
			return "", false
		}
		if wait == nil {
			wait = l.clock.NewTimer(preAuthWait)
			defer wait.Stop()
		}
		select {
		case <-arrived:
		case <-wait.C():
			return "", false
		case <-ctx.Done():
			return "", false
		}
	}
}

// Attach attaches the connection of an authenticated client to the hub.
func (l *Logins) Attach(user domain.UserID, conn ports.ClientConn) (ports.Session, error) {
	return l.hub.Connect(user, conn)
}
