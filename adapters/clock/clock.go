// Package clock is the real-time implementation of ports.Clock.
package clock

import (
	"time"

	"github.com/notifypush/notify_push/ports"
)

// System reads and waits on the machine's clock.
type System struct{}

var _ ports.Clock = System{}

// New returns the system clock, for wire.
func New() System { return System{} }

// Now is time.Now.
func (System) Now() time.Time { return time.Now() }

// NewTimer is time.NewTimer.
func (System) NewTimer(d time.Duration) ports.Timer { return timer{time.NewTimer(d)} }

// AfterFunc is time.AfterFunc.
func (System) AfterFunc(d time.Duration, f func()) ports.Timer { return timer{time.AfterFunc(d, f)} }

type timer struct{ t *time.Timer }

func (t timer) C() <-chan time.Time        { return t.t.C }
func (t timer) Reset(d time.Duration) bool { return t.t.Reset(d) }
func (t timer) Stop() bool                 { return t.t.Stop() }
