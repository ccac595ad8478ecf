package memory

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// User is one login of the static authenticator. Several logins may share a
// UID, as Nextcloud allows (login by email address, say).
type User struct {
	Login    string
	UID      domain.UserID
	Password string
}

// Authenticator checks logins against a fixed table.
type Authenticator struct {
	users map[string]staticUser
}

type staticUser struct {
	uid  domain.UserID
	hash [sha256.Size]byte
}

var _ ports.Authenticator = (*Authenticator)(nil)

// NewAuthenticator makes an authenticator for users; logins must be unique and
// non-empty.
func NewAuthenticator(users []User) (*Authenticator, error) {
	a := &Authenticator{users: make(map[string]staticUser, len(users))}
	for _, u := range users {
		if u.Login == "" {
			return nil, errors.New("static user with an empty login")
		}
		if _, dup := a.users[u.Login]; dup {
			return nil, fmt.Errorf("static user %q listed twice", u.Login)
		}
		uid := u.UID
		if uid == "" {
			uid = domain.UserID(u.Login)
		}
		a.users[u.Login] = staticUser{uid: uid, hash: sha256.Sum256([]byte(u.Password))}
	}
	return a, nil
}

// Authenticate compares password hashes in constant time. Like a request to
// Nextcloud, it judges nothing once ctx has ended.
func (a *Authenticator) Authenticate(ctx context.Context, login, password string, _ []string) (domain.UserID, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("check credentials: %w", err)
	}
	u, ok := a.users[login]
	got := sha256.Sum256([]byte(password))
	if !ok || subtle.ConstantTimeCompare(u.hash[:], got[:]) != 1 {
		return "", domain.ErrInvalidCredentials
	}
	return u.uid, nil
}
