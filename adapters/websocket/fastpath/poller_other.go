//go:build !linux

package fastpath

import "errors"

// Supported: without a readiness poller every connection keeps a reader
// goroutine.
const Supported = false

var errNoPoller = errors.New("no readiness poller on this platform")

// Poller is absent on this platform: NewPoller always fails.
type Poller[T Watched] struct{}

// NewPoller reports that this platform has no poller.
func NewPoller[T Watched]() (*Poller[T], error) { return nil, errNoPoller }

// Arm fails: there is nothing to arm.
func (*Poller[T]) Arm(int, T) error { return errNoPoller }

// Remove does nothing.
func (*Poller[T]) Remove(int, T) {}

// Run returns at once.
func (*Poller[T]) Run(func(v T, resumed bool) bool) {}

// Stop does nothing.
func (*Poller[T]) Stop() {}

// Close does nothing.
func (*Poller[T]) Close() {}
