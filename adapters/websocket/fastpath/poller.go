package fastpath

import "errors"

// Watched is what a Poller watches, keyed by its socket's descriptor: a
// connection, to the poller only a value it hands back when the socket
// becomes readable.
type Watched interface {
	comparable
	// Finished reports whether the socket is closed or about to be. The owner
	// sets it before it calls Remove; Arm checks it under the poller's lock,
	// so that an Arm racing the close is either refused or undone by Remove.
	Finished() bool
}

// ErrFinished: Arm was asked to watch a finished connection.
var ErrFinished = errors.New("connection already finished")
