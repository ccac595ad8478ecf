package domain

import (
	"errors"
	"strings"
)

// Errors whose text is part of the wire protocol: clients read "err: " followed
// by exactly this text.
var (
	ErrInvalidCredentials = errors.New("Invalid credentials")
	ErrInvalidAuthMessage = errors.New("Invalid authentication message")
	ErrConnectionLimit    = errors.New("Connection limit exceeded for user")
	// ErrTooManyLogins refuses a login while every credential-check slot is
	// busy and the waiting queue is full (a login storm): the client may
	// retry later. Ours; upstream has no such bound.
	ErrTooManyLogins = errors.New("Too many concurrent logins, try again later")
)

// ErrInvalidToken refuses a self-test request whose token header does not
// match the test-token the app stored.
var ErrInvalidToken = errors.New("invalid or missing self-test token")

// NextcloudError reports that the credential check could not be answered by
// Nextcloud (unreachable, client or server error).
type NextcloudError struct {
	Err error
	// Status is the HTTP status of Nextcloud's answer; 0 when there was
	// none (refused, timed out, TLS, a broken connection).
	Status int
}

func (e *NextcloudError) Error() string {
	return nextcloudErrorPrefix + e.Err.Error()
}

const nextcloudErrorPrefix = "Error while sending authentication request to nextcloud: "

// ClientText is what a client is told: upstream's text for an answer with
// an error status, and only that Nextcloud could not be reached otherwise.
// Addresses and system errors of a failed connection stay in the log.
func (e *NextcloudError) ClientText() string {
	if e.Status != 0 {
		return e.Error()
	}
	return nextcloudErrorPrefix + "Nextcloud could not be reached"
}

func (e *NextcloudError) Unwrap() error { return e.Err }

// StartingError refuses a login while the server still waits for a
// dependency it has not reached since it started (the database, Redis,
// Nextcloud). Its text is what clients see, so that they keep polling.
type StartingError struct {
	// Waiting says, per dependency, why it is not there yet:
	// "database unreachable", "redis not checked yet".
	Waiting []string
}

func (e *StartingError) Error() string {
	if len(e.Waiting) == 0 {
		return "Push server is starting"
	}
	return "Push server is starting: " + strings.Join(e.Waiting, ", ")
}

// AuthFailureText is the text after "err: " that a client is sent when its
// login fails with err. Errors outside the protocol get a generic text so that
// internal details never reach a client.
func AuthFailureText(err error) string {
	var nc *NextcloudError
	var starting *StartingError
	switch {
	case errors.Is(err, ErrInvalidCredentials):
		return ErrInvalidCredentials.Error()
	case errors.Is(err, ErrInvalidAuthMessage):
		return ErrInvalidAuthMessage.Error()
	case errors.Is(err, ErrConnectionLimit):
		return ErrConnectionLimit.Error()
	case errors.Is(err, ErrTooManyLogins):
		return ErrTooManyLogins.Error()
	case errors.As(err, &nc):
		return nc.ClientText()
	case errors.As(err, &starting):
		return starting.Error()
	default:
		return "Internal error"
	}
}

// CloseReason says why the server ends a client connection.
type CloseReason uint8

const (
	CloseReset             CloseReason = iota + 1 // notify_signal "reset"
	CloseShutdown                                 // the server is stopping
	CloseMaxConnectionTime                        // MAX_CONNECTION_TIME reached
	ClosePingTimeout                              // a ping went unanswered or was answered wrongly
	CloseSlowConsumer                             // the client does not read what it is sent
	CloseFlood                                    // the client sends far more than any client does
)

func (r CloseReason) String() string {
	switch r {
	case CloseReset:
		return "reset"
	case CloseShutdown:
		return "server shutting down"
	case CloseMaxConnectionTime:
		return "maximum connection time reached"
	case ClosePingTimeout:
		return "ping timeout"
	case CloseSlowConsumer:
		return "client too slow"
	case CloseFlood:
		return "too many messages"
	default:
		return "closed"
	}
}
