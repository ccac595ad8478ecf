// Package fakeclock is the ports.Clock of tests: time stands still until the
// test moves it, and timers fire as it passes their deadlines, so that
// timeouts, backoffs and debounce windows are tested without sleeping.
package fakeclock

import (
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notifypush/notify_push/ports"
)

// Start is the time a New clock shows unless told otherwise.
var Start = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// Clock is a settable clock. The zero value is not usable; call New.
type Clock struct {
	// current is read without the lock, so that benchmarks of code asking
	// the time at every event measure the code, not the clock.
	current atomic.Pointer[time.Time]

	mu      sync.Mutex
	now     time.Time // written with current, under mu
	pending []*timer
	// changed is closed and replaced whenever a timer is added, so that
	// AwaitTimers wakes without polling.
	changed chan struct{}
}

var _ ports.Clock = (*Clock)(nil)

// New returns a clock showing start (Start when zero).
func New(start time.Time) *Clock {
	if start.IsZero() {
		start = Start
	}
	c := &Clock{now: start, changed: make(chan struct{})}
	c.current.Store(&start)
	return c
}

// Now is the time the clock shows.
func (c *Clock) Now() time.Time { return *c.current.Load() }

// Advance moves the clock forward by d, firing every timer it passes in
// deadline order, and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	to := c.now.Add(d)
	c.mu.Unlock()
	c.Set(to)
	return to
}

// Set moves the clock to t and fires every timer due by then.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.current.Store(&t)
	var due []*timer
	kept := c.pending[:0]
	for _, tm := range c.pending {
		if tm.at.After(t) {
			kept = append(kept, tm)
		} else {
			tm.active = false
			due = append(due, tm)
		}
	}
	clear(c.pending[len(kept):])
	c.pending = kept
	c.mu.Unlock()
	sort.SliceStable(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, tm := range due {
		tm.fire(t)
	}
}

// Timers is the number of timers waiting to fire.
func (c *Clock) Timers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// AwaitTimers waits (in real time, at most 10 s) until at least n timers are
// waiting: the code under test has reached its wait, and advancing the clock
// now fires it.
func (c *Clock) AwaitTimers(t testing.TB, n int) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		have, changed := len(c.pending), c.changed
		c.mu.Unlock()
		if have >= n {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("fake clock: %d timers waiting after 10 s, want %d", have, n)
		}
	}
}

// NewTimer implements ports.Clock.
func (c *Clock) NewTimer(d time.Duration) ports.Timer {
	tm := &timer{clock: c, ch: make(chan time.Time, 1)}
	tm.Reset(d)
	return tm
}

// AfterFunc implements ports.Clock.
func (c *Clock) AfterFunc(d time.Duration, f func()) ports.Timer {
	tm := &timer{clock: c, f: f}
	tm.Reset(d)
	return tm
}

// timer fires once the clock reaches at. Its fields are guarded by the
// clock's lock.
type timer struct {
	clock  *Clock
	ch     chan time.Time // nil for AfterFunc timers
	f      func()
	at     time.Time
	active bool
}

func (tm *timer) C() <-chan time.Time { return tm.ch }

func (tm *timer) fire(now time.Time) {
	if tm.f != nil {
		go tm.f()
		return
	}
	select {
	case tm.ch <- now:
	default:
	}
}

// Reset rearms the timer d from now; a zero or negative d fires it at once.
func (tm *timer) Reset(d time.Duration) bool {
	c := tm.clock
	was := tm.Stop()
	c.mu.Lock()
	tm.at, tm.active = c.now.Add(d), true
	now := c.now
	if d > 0 {
		c.pending = append(c.pending, tm)
		close(c.changed)
		c.changed = make(chan struct{})
	} else {
		tm.active = false
	}
	c.mu.Unlock()
	if d <= 0 {
		tm.fire(now)
	}
	return was
}

// Stop disarms the timer and drops a value it sent but nobody received.
func (tm *timer) Stop() bool {
	c := tm.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	was := tm.active
	tm.active = false
	for i, p := range c.pending {
		if p == tm {
			c.pending = append(c.pending[:i], c.pending[i+1:]...)
			break
		}
	}
	if tm.ch != nil {
		select {
		case <-tm.ch:
		default:
		}
	}
	return was
}
