package app

import (
	"context"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// Gateway logs clients in and attaches them to the hub; it is the inbound
// port the WebSocket transport drives.
type Gateway struct {
	hub     *Hub
	auth    ports.Authenticator
	preAuth *PreAuth
	clock   ports.Clock
	startup *Startup
}

var _ ports.Gateway = (*Gateway)(nil)

// NewGateway wires the login use case; logins are refused until startup is
// ready.
func NewGateway(hub *Hub, auth ports.Authenticator, preAuth *PreAuth, clock ports.Clock, startup *Startup) *Gateway {
	return &Gateway{hub: hub, auth: auth, preAuth: preAuth, clock: clock, startup: startup}
}

// Authenticate refuses every login while the server is starting, then
// accepts a pre-auth token as the password first (whatever the login, which
// clients leave empty), then asks the authenticator.
func (g *Gateway) Authenticate(ctx context.Context, login, password string, forwardedFor []string) (domain.UserID, error) {
	if err := g.startup.Refusal(ctx); err != nil {
		return "", err
	}
	if password != "" {
		if user, ok := g.preAuth.Take(password, g.clock.Now()); ok {
			return user, nil
		}
	}
	if login == "" {
		// Only a token can log in without a login. A client that has just
		// fetched one from Nextcloud may be faster than the token's way
		// through Redis and our event stream: wait for it a little.
		if user, ok := g.awaitToken(ctx, password); ok {
			return user, nil
		}
		return "", domain.ErrInvalidCredentials
	}
	return g.auth.Authenticate(ctx, login, password, forwardedFor)
}

// preAuthWait bounds how long a login with a token nobody has announced yet
// waits for it; a wrong token is refused after it.
const preAuthWait = 2 * time.Second

// preAuthTokenLen is the length of the app's tokens (PROTOCOL §2): only a
// password of that shape is worth waiting for, so that a client sending an
// empty login with anything else cannot hold a pending login for 2 s.
const preAuthTokenLen = 32

func (g *Gateway) awaitToken(ctx context.Context, token string) (domain.UserID, bool) {
	if token == "" {
		return "", false
	}
	var wait *time.Timer
	for {
		arrived := g.preAuth.arrivals() // before Take: a token added in between wakes us
		if user, ok := g.preAuth.Take(token, g.clock.Now()); ok {
			return user, true
		}
		if len(token) != preAuthTokenLen {
			return "", false
		}
		if wait == nil {
			wait = time.NewTimer(preAuthWait)
			defer wait.Stop()
		}
		select {
		case <-arrived:
		case <-wait.C:
			return "", false
		case <-ctx.Done():
			return "", false
		}
	}
}

// Connect attaches an authenticated connection.
func (g *Gateway) Connect(user domain.UserID, conn ports.ClientConn) (ports.Session, error) {
	return g.hub.Connect(user, conn)
}
