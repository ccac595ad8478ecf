// Package clock is the real-time implementation of ports.Clock.
package clock

import (
	"time"

	"github.com/notifypush/notify_push/ports"
)

// System reads the machine's clock.
type System struct{}

var _ ports.Clock = System{}

// Now is time.Now.
func (System) Now() time.Time { return time.Now() }

// New returns the system clock as a ports.Clock, for wire.
func New() System { return System{} }
