package domain

import (
	"errors"
	"fmt"
	"strconv"
)

// ProbeFailure says why a diagnostic request (to Nextcloud or through the
// reverse proxy to the push server) got no usable answer. The self-test and
// test_client explain each kind differently, so adapters classify their
// transport errors into these.
type ProbeFailure uint8

const (
	// ProbeUnreachable: no connection (refused, DNS, no route).
	ProbeUnreachable ProbeFailure = iota + 1
	// ProbeTimeout: connected or not, no answer in time.
	ProbeTimeout
	// ProbeTLSUnknownAuthority: the certificate is not signed by a trusted CA
	// (self-signed, private CA).
	ProbeTLSUnknownAuthority
	// ProbeTLSHostname: the certificate is not valid for the host name.
	ProbeTLSHostname
	// ProbeTLS: any other TLS failure, such as plain HTTP on a TLS port.
	ProbeTLS
	// ProbeStatus: an HTTP answer with a status the request did not expect.
	ProbeStatus
	// ProbeRedirect: a redirect, which diagnostic requests never follow.
	ProbeRedirect
	// ProbeBadAnswer: a 2xx answer whose body is not what it should be.
	ProbeBadAnswer
)

// ProbeError is a classified failure of a diagnostic request. URL never
// carries credentials.
type ProbeError struct {
	Failure ProbeFailure
	URL     string
	// Status is the HTTP status of ProbeStatus and ProbeRedirect, and
	// StatusLine its text ("404 Not Found").
	Status     int
	StatusLine string
	// Location is where a ProbeRedirect points.
	Location string
	// Body is the start of the answer of a ProbeStatus, on one line.
	Body string
	Err  error
}

func (e *ProbeError) Error() string {
	switch e.Failure {
	case ProbeStatus:
		msg := e.URL + " answered " + e.statusText()
		if e.Body != "" {
			msg += ": " + e.Body
		}
		return msg
	case ProbeRedirect:
		return e.URL + " redirects (" + e.statusText() + ") to " + e.Location
	case ProbeTimeout:
		return e.URL + ": no answer in time"
	}
	if e.Err != nil {
		return e.URL + ": " + e.Err.Error()
	}
	return e.URL + ": request failed"
}

func (e *ProbeError) Unwrap() error { return e.Err }

func (e *ProbeError) statusText() string {
	if e.StatusLine != "" {
		return e.StatusLine
	}
	return strconv.Itoa(e.Status)
}

// ProbeFailureOf returns the classified failure inside err, if any.
func ProbeFailureOf(err error) (*ProbeError, bool) {
	var pe *ProbeError
	ok := errors.As(err, &pe)
	return pe, ok
}

// ErrNoPushCapability: Nextcloud's capabilities have no notify_push entry, so
// clients cannot find the push server (the app is not enabled, or
// `occ notify_push:setup` never stored the push server's URL).
var ErrNoPushCapability = errors.New("Nextcloud announces no notify_push capability")

// PushCapability is what Nextcloud tells clients about the push server
// (the notify_push entry of its OCS capabilities).
type PushCapability struct {
	// Types are the kinds of events pushed (files, activities, notifications).
	Types []string
	// WebSocket is the URL clients connect to, ws:// or wss://.
	WebSocket string
	// PreAuth is the URL where a logged-in client gets a pre-auth token.
	PreAuth string
}

// NextcloudStatus is what Nextcloud's status.php says about the instance.
type NextcloudStatus struct {
	Installed   bool
	Maintenance bool
	// NeedsUpgrade: the database schema waits for `occ upgrade`.
	NeedsUpgrade bool
	Version      string
	ProductName  string
}

// PushRefusal is an "err: ..." message from the push server; Text is what
// follows "err: ".
type PushRefusal struct {
	Text string
}

func (e *PushRefusal) Error() string { return "the push server answered: err: " + e.Text }

// PushClosed: the push server (or a proxy) closed the WebSocket.
type PushClosed struct {
	// Code is the close code, 1006 when the connection ended without a close frame.
	Code   int
	Reason string
}

func (e *PushClosed) Error() string {
	msg := fmt.Sprintf("the connection was closed (%d %s)", e.Code, closeCodeName(e.Code))
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

func closeCodeName(code int) string {
	switch code {
	case 1000:
		return "normal closure"
	case 1001:
		return "going away"
	case 1002:
		return "protocol error"
	case 1006:
		return "abnormal closure, no close frame"
	case 1008:
		return "policy violation"
	case 1011:
		return "server error"
	default:
		return "close code"
	}
}
