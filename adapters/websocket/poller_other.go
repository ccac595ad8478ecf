//go:build !linux

package websocket

import "errors"

// pollingSupported: without a readiness poller every connection keeps a
// reader goroutine.
const pollingSupported = false

type poller struct{}

func newPoller() (*poller, error) { return nil, errors.New("no readiness poller on this platform") }

func (*poller) arm(*conn) error { return errors.New("no readiness poller on this platform") }
func (*poller) remove(*conn)    {}
func (*poller) run(func(*conn)) {}
func (*poller) stop()           {}
func (*poller) close()          {}
