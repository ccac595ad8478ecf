package app

import (
	"context"
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
	deps    *Dependencies
	clock   ports.Clock
}

var _ ports.Logins = (*Logins)(nil)

// NewLogins wires the login use case. Credentials are checked by guard, the
// AuthGuard decorating the Nextcloud authenticator; every login is refused
// until deps have all answered once.
func NewLogins(hub *Hub, guard *AuthGuard, preAuth *PreAuth, deps *Dependencies, clock ports.Clock) *Logins {
	return &Logins{hub: hub, guard: guard, preAuth: preAuth, deps: deps, clock: clock}
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
			return user, nil
		}
	}
	if login == "" {
		// Only a token can log in without a login. A client that has just
		// fetched one from Nextcloud may be faster than the token's way
		// through Redis and our event stream: wait for it a little.
		if user, ok := l.awaitToken(ctx, password); ok {
			return user, nil
		}
		return "", domain.ErrInvalidCredentials
	}
	return l.guard.Authenticate(ctx, login, password, forwardedFor)
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
