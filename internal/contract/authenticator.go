package contract

import (
	"context"
	"errors"
	"testing"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// Account is one login the authenticator under test must know. Several
// logins may share a UID, as Nextcloud lets users log in by email address.
type Account struct {
	Login    string
	UID      domain.UserID
	Password string
}

// Authenticator checks a ports.Authenticator: the right password gives the
// login's user id, anything else domain.ErrInvalidCredentials, and a call
// whose context has ended another error (nobody's credentials were judged).
// newAuth builds one that knows exactly accounts, once per subtest.
func Authenticator(t *testing.T, newAuth func(t *testing.T, accounts []Account) ports.Authenticator) {
	accounts := []Account{
		{Login: "alice", UID: "alice", Password: "alice-pw"},
		{Login: "alice@example.com", UID: "alice", Password: "alice-pw"},
		{Login: "Bob Builder", UID: "bob-7f3a", Password: "pässwörd 🔑"},
	}
	fwd := []string{"203.0.113.9", "127.0.0.1"}

	t.Run("right credentials give the user id", func(t *testing.T) {
		auth := newAuth(t, accounts)
		for _, a := range accounts {
			if uid, err := auth.Authenticate(bounded(t), a.Login, a.Password, fwd); uid != a.UID || err != nil {
				t.Errorf("%q: %q, %v; want %q", a.Login, uid, err, a.UID)
			}
		}
	})

	t.Run("a login that is not the user id", func(t *testing.T) {
		auth := newAuth(t, accounts)
		if uid, err := auth.Authenticate(bounded(t), "alice@example.com", "alice-pw", nil); uid != "alice" || err != nil {
			t.Fatalf("alice@example.com: %q, %v; want alice", uid, err)
		}
		wantInvalid(t, auth, "bob-7f3a", "pässwörd 🔑") // the uid is no login
	})

	t.Run("a wrong password is invalid credentials", func(t *testing.T) {
		auth := newAuth(t, accounts)
		for _, pw := range []string{"wrong", "", "ALICE-PW", "alice-p", "pässwörd 🔑"} {
			wantInvalid(t, auth, "alice", pw)
		}
	})

	t.Run("an unknown login is invalid credentials", func(t *testing.T) {
		auth := newAuth(t, accounts)
		// Nextcloud matches logins case-insensitively: no case variants here.
		for _, login := range []string{"mallory", "", "alice@example.org"} {
			wantInvalid(t, auth, login, "alice-pw")
		}
	})

	t.Run("an ended context is another error", func(t *testing.T) {
		auth := newAuth(t, accounts)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		for _, a := range []Account{accounts[0], {Login: "alice", Password: "wrong"}} {
			uid, err := auth.Authenticate(ctx, a.Login, a.Password, fwd)
			if err == nil || errors.Is(err, domain.ErrInvalidCredentials) || !errors.Is(err, context.Canceled) {
				t.Errorf("%q with a cancelled context: %q, %v; want an error wrapping context.Canceled", a.Password, uid, err)
			}
		}
	})
}

func wantInvalid(t *testing.T, auth ports.Authenticator, login, password string) {
	t.Helper()
	if uid, err := auth.Authenticate(bounded(t), login, password, nil); !errors.Is(err, domain.ErrInvalidCredentials) {
		t.Errorf("login %q, password %q: %q, %v; want domain.ErrInvalidCredentials", login, password, uid, err)
	}
}
