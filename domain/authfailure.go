package domain

import "errors"

// AuthFailure is why a login failed, for metrics.
type AuthFailure uint8

const (
	AuthFailureOther AuthFailure = iota
	AuthFailureInvalidCredentials
	AuthFailureInvalidMessage
	AuthFailureTimeout
	AuthFailureNextcloud
	AuthFailureConnectionLimit
	// AuthFailureTooManyLogins: refused in a login storm (ErrTooManyLogins).
	AuthFailureTooManyLogins
	AuthFailureStarting // refused while the server waits for a dependency
	authFailures
)

// AuthFailures lists every reason, in the order metrics show them.
var AuthFailures = [authFailures]AuthFailure{AuthFailureInvalidCredentials, AuthFailureInvalidMessage,
	AuthFailureTimeout, AuthFailureNextcloud, AuthFailureConnectionLimit, AuthFailureTooManyLogins, AuthFailureStarting,
	AuthFailureOther}

func (f AuthFailure) String() string {
	switch f {
	case AuthFailureInvalidCredentials:
		return "invalid_credentials"
	case AuthFailureInvalidMessage:
		return "invalid_message"
	case AuthFailureTimeout:
		return "timeout"
	case AuthFailureNextcloud:
		return "nextcloud_error"
	case AuthFailureConnectionLimit:
		return "connection_limit"
	case AuthFailureTooManyLogins:
		return "too_many_logins"
	case AuthFailureStarting:
		return "starting"
	default:
		return "other"
	}
}

// AuthFailureOf classifies a login error.
func AuthFailureOf(err error) AuthFailure {
	var nc *NextcloudError
	var starting *StartingError
	switch {
	case errors.Is(err, ErrInvalidCredentials):
		return AuthFailureInvalidCredentials
	case errors.Is(err, ErrInvalidAuthMessage):
		return AuthFailureInvalidMessage
	case errors.Is(err, ErrConnectionLimit):
		return AuthFailureConnectionLimit
	case errors.Is(err, ErrTooManyLogins):
		return AuthFailureTooManyLogins
	case errors.As(err, &nc):
		return AuthFailureNextcloud
	case errors.As(err, &starting):
		return AuthFailureStarting
	default:
		return AuthFailureOther
	}
}
