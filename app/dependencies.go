package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/ports"
)

// Dependency is one system the server needs (the database, Redis, Nextcloud,
// its own listener), with a probe that answers nil while it can be used.
type Dependency struct {
	Name  string
	Probe func(ctx context.Context) error
	// Live marks a probe that only reads state kept elsewhere (the
	// subscription's flag, the listener's address): it is cheap, so every
	// caller asks it afresh. Other probes run in the background and callers
	// read their last result.
	Live bool
	// Recheck is how often a non-live probe runs again once the dependency
	// has answered, so that health reflects an outage; zero is every
	// DependencyTiming.Recheck.
	Recheck time.Duration
	// Gate: logins wait for this dependency at start. Only what every login
	// needs gates them: the subscription (a client must not trust a
	// connection that cannot hear its changes yet). Without the database
	// updates are remembered and resynced; a password is checked by
	// Nextcloud itself, and a pre-auth token needs no Nextcloud at all.
	Gate bool
}

// DependencyTiming paces the probes; the zero value is DefaultDependencyTiming.
type DependencyTiming struct {
	// FirstRetry is the pause after a dependency's first failed probe; it
	// doubles after each further failure, up to MaxRetry.
	FirstRetry, MaxRetry time.Duration
	// ProbeTimeout bounds one probe.
	ProbeTimeout time.Duration
	// WarnAfter is how long a dependency may be missing at start before it
	// is warned about: on a normal start the subscription follows the first
	// probe by a few milliseconds, which is not worth a warning.
	WarnAfter time.Duration
	// LogEvery spaces the warnings about one missing dependency.
	LogEvery time.Duration
	// Recheck is how often a probe runs again after the dependency answered
	// (Dependency.Recheck overrides it); failed rechecks are retried from
	// FirstRetry, doubling up to the recheck interval or a minute.
	Recheck time.Duration
}

// DefaultDependencyTiming retries quickly at start (a dependency that comes
// back is seen within 5 s; the subscription, which usually follows the first
// probe by a few milliseconds, within 100 ms), warns about a dependency
// missing for 2 s, then once a minute, and checks every dependency again
// every 5 s afterwards (a ping of the database: health follows an outage
// within seconds without an anonymous request ever reaching the database).
var DefaultDependencyTiming = DependencyTiming{
	FirstRetry: 100 * time.Millisecond, MaxRetry: 5 * time.Second,
	ProbeTimeout: 15 * time.Second, WarnAfter: 2 * time.Second, LogEvery: time.Minute,
	Recheck: 5 * time.Second,
}

// errNotChecked is a dependency's state before its first probe.
var errNotChecked = errors.New("not checked yet")

// Dependencies watches what one deployment shape needs, for three readers:
// the login gate (Refusal: until every gating dependency has answered once,
// logins are refused with a domain.StartingError naming what is missing; a
// refused client keeps polling Nextcloud, which is right while the server
// could not deliver its changes), /health and readiness (Ready: the last
// result of each probe, live ones asked afresh, so that an anonymous request
// never makes the server contact a dependency), and the startup check
// (AllUp). Once open the gate stays open: later outages are handled by each
// adapter's own retries, and shown by Ready. Build it with NewDependencies
// and Run it.
type Dependencies struct {
	deps   []Dependency
	timing DependencyTiming
	clock  ports.Clock
	log    *slog.Logger

	allUp    chan struct{} // closed once every dependency answered
	gateOpen chan struct{} // closed once every gating dependency answered
	openOnce sync.Once
	upOnce   sync.Once
	started  time.Time

	mu     sync.Mutex
	last   map[string]error // last probe result per dependency; absent before the first
	up     map[string]bool  // answered once
	warned bool             // a dependency was warned about at start
}

// readyWait bounds how long a login waits for the server to become ready,
// so that a client arriving as the server starts is not refused for nothing.
const readyWait = 3 * time.Second

// maxRecheckRetry bounds the pause between the probes of a dependency that
// stopped answering, so that its return is seen within a minute.
const maxRecheckRetry = time.Minute

// liveLookEvery spaces a waiting login's looks at live dependencies.
const liveLookEvery = 20 * time.Millisecond

// NewDependencies watches deps; with none the gate is open at once. Names
// must be unique and every probe set. A zero timing is the default.
func NewDependencies(deps []Dependency, timing DependencyTiming, clock ports.Clock, log *slog.Logger) (*Dependencies, error) {
	seen := make(map[string]bool, len(deps))
	for _, d := range deps {
		if d.Name == "" || d.Probe == nil || seen[d.Name] || d.Recheck < 0 {
			return nil, fmt.Errorf("dependency %q: a unique name and a probe are required, and no negative recheck", d.Name)
		}
		seen[d.Name] = true
	}
	if timing == (DependencyTiming{}) {
		timing = DefaultDependencyTiming
	}
	if timing.FirstRetry <= 0 || timing.MaxRetry < timing.FirstRetry || timing.ProbeTimeout <= 0 || timing.LogEvery <= 0 ||
		timing.WarnAfter < 0 || timing.Recheck <= 0 {
		return nil, fmt.Errorf("dependency timing %+v: durations must be positive (WarnAfter may be 0), MaxRetry at least FirstRetry", timing)
	}
	if clock == nil {
		return nil, errors.New("dependencies: no clock")
	}
	d := &Dependencies{deps: deps, timing: timing, clock: clock, log: log, allUp: make(chan struct{}),
		gateOpen: make(chan struct{}), started: clock.Now(), last: make(map[string]error), up: make(map[string]bool)}
	if !d.gating() {
		close(d.gateOpen)
	}
	if len(deps) == 0 {
		close(d.allUp)
	}
	return d, nil
}

// AllUp is closed once every dependency has answered.
func (d *Dependencies) AllUp() <-chan struct{} { return d.allUp }

// gating reports whether any dependency gates the logins.
func (d *Dependencies) gating() bool {
	for _, dep := range d.deps {
		if dep.Gate {
			return true
		}
	}
	return false
}

// Refusal is nil once every gating dependency has answered; before, it is a
// *domain.StartingError naming each one still missing. A login that comes
// before that waits for it (within ctx and 3 s), looking at live dependencies
// afresh every few milliseconds: on a normal start the subscription follows
// the first probes by milliseconds, and a client should not be refused for
// that.
func (d *Dependencies) Refusal(ctx context.Context) error {
	select {
	case <-d.gateOpen:
		return nil
	default:
	}
	wait := d.clock.NewTimer(readyWait)
	defer wait.Stop()
	look := d.clock.NewTimer(liveLookEvery)
	defer look.Stop()
	for {
		d.lookAtLive(ctx)
		select {
		case <-d.gateOpen:
			return nil
		case <-ctx.Done():
			return d.refusal()
		case <-wait.C():
			return d.refusal()
		case <-look.C():
			look.Reset(liveLookEvery)
		}
	}
}

// Ready is the readiness of /health and of orchestrators: nil when every
// dependency can be used now, else an error naming each that cannot, one a
// line. Live dependencies are asked now; the others give their last probe's
// result.
func (d *Dependencies) Ready(ctx context.Context) error {
	var problems []error
	for _, dep := range d.deps {
		var err error
		if dep.Live {
			err = dep.Probe(ctx)
		} else {
			err = d.lastResult(dep.Name)
		}
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", dep.Name, err))
		}
	}
	return errors.Join(problems...)
}

func (d *Dependencies) lastResult(name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	err, probed := d.last[name]
	if !probed {
		return errNotChecked
	}
	return err
}

func (d *Dependencies) lookAtLive(ctx context.Context) {
	for _, dep := range d.deps {
		if dep.Live && !d.isUp(dep.Name) {
			if err := dep.Probe(ctx); err == nil || d.probed(dep.Name) {
				// A failed live look before the first probe would count as
				// that probe; leave it to the watcher.
				d.record(dep.Name, err)
			}
		}
	}
}

func (d *Dependencies) probed(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.last[name]
	return ok
}

// refusal names the gating dependencies missing; nil when none is (the gate
// is opening).
func (d *Dependencies) refusal() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var waiting []string
	for _, dep := range d.deps {
		err, probed := d.last[dep.Name]
		switch {
		case !dep.Gate || d.up[dep.Name]:
		case !probed:
			waiting = append(waiting, dep.Name+" not checked yet")
		case err != nil:
			waiting = append(waiting, dep.Name+" unreachable")
		}
	}
	if len(waiting) == 0 {
		return nil
	}
	return &domain.StartingError{Waiting: waiting}
}

func (d *Dependencies) isUp(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.up[name]
}

// record keeps a probe's result, opens the gate once every gating
// dependency has answered, and closes AllUp once every one has.
func (d *Dependencies) record(name string, err error) {
	d.mu.Lock()
	d.last[name] = err
	if err == nil {
		d.up[name] = true
	}
	all := len(d.up) == len(d.deps)
	gated := true
	for _, dep := range d.deps {
		gated = gated && (!dep.Gate || d.up[dep.Name])
	}
	warned := d.warned
	d.mu.Unlock()
	took := d.clock.Now().Sub(d.started).Round(time.Millisecond)
	if gated && d.gating() {
		d.openOnce.Do(func() {
			if warned {
				// The warnings before said logins are refused: say they are not any more.
				d.log.Warn("accepting logins", "after", took)
			} else {
				d.log.Debug("accepting logins", "after", took)
			}
			close(d.gateOpen)
		})
	}
	if all {
		d.upOnce.Do(func() {
			if warned {
				d.log.Warn("every dependency answers", "after", took)
			} else {
				d.log.Info("every dependency answers", "after", took)
			}
			close(d.allUp)
		})
	}
}

// Run probes every dependency until each has answered once (the gate then
// opens), then probes the non-live ones again every recheck interval, until
// ctx ends; it returns nil.
func (d *Dependencies) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, dep := range d.deps {
		wg.Go(func() {
			if !d.awaitFirst(ctx, dep) || dep.Live {
				return
			}
			d.recheck(ctx, dep)
		})
	}
	wg.Wait()
	return nil
}

// probe runs dep's probe within the probe timeout.
func (d *Dependencies) probe(ctx context.Context, dep Dependency) error {
	pctx, cancel := context.WithTimeout(ctx, d.timing.ProbeTimeout)
	defer cancel()
	return dep.Probe(pctx)
}

// sleep waits for delay on the clock; false when ctx ended first.
func (d *Dependencies) sleep(ctx context.Context, delay time.Duration, alsoStop <-chan struct{}) bool {
	t := d.clock.NewTimer(delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-alsoStop:
		return true
	case <-t.C():
		return true
	}
}

// awaitFirst probes dep until it answers (here, or in a login's live look);
// false when ctx ended first.
func (d *Dependencies) awaitFirst(ctx context.Context, dep Dependency) bool {
	delay := d.timing.FirstRetry
	var lastLog time.Time
	warned := false
	for {
		if d.isUp(dep.Name) {
			return true
		}
		err := d.probe(ctx, dep)
		if ctx.Err() != nil {
			return false
		}
		now := d.clock.Now()
		missing := now.Sub(d.started)
		if err == nil {
			if warned {
				d.log.Warn(dep.Name+" answers", "dependency", dep.Name, "after", missing.Round(time.Millisecond))
			} else {
				d.log.Debug(dep.Name+" answers", "dependency", dep.Name, "after", missing.Round(time.Millisecond))
			}
			d.record(dep.Name, nil)
			return true
		}
		switch {
		case missing < d.timing.WarnAfter:
			d.log.Debug("waiting for "+dep.Name, "dependency", dep.Name, "err", err)
		case lastLog.IsZero() || now.Sub(lastLog) >= d.timing.LogEvery:
			lastLog, warned = now, true
			d.mu.Lock()
			d.warned = true
			d.mu.Unlock()
			what := "waiting for " + dep.Name + " (logged once a minute)"
			if dep.Gate {
				what = "waiting for " + dep.Name + "; logins are refused until it answers (logged once a minute)"
			}
			d.log.Warn(what, "dependency", dep.Name, "err", err, "waiting", missing.Round(time.Second))
		}
		d.record(dep.Name, err)
		// Every dependency up opens the gate: a live one may be up
		// meanwhile without this loop probing it again.
		if !d.sleep(ctx, delay, d.allUp) {
			return false
		}
		delay = min(2*delay, d.timing.MaxRetry)
	}
}

// recheck probes dep every recheck interval until ctx ends, retrying a
// failure sooner, and logs when it stops and starts answering.
func (d *Dependencies) recheck(ctx context.Context, dep Dependency) {
	every := cmp.Or(dep.Recheck, d.timing.Recheck)
	wait, retry := every, d.timing.FirstRetry
	var down error
	for d.sleep(ctx, wait, nil) {
		err := d.probe(ctx, dep)
		if ctx.Err() != nil {
			return
		}
		d.record(dep.Name, err)
		switch {
		case err == nil && down != nil:
			d.log.Warn(dep.Name+" answers again", "dependency", dep.Name)
			down = nil
		case err != nil && down == nil:
			d.log.Warn(dep.Name+" stopped answering; retrying", "dependency", dep.Name, "err", err)
			down = err
		}
		if err != nil {
			wait, retry = retry, min(2*retry, every, maxRecheckRetry)
			continue
		}
		wait, retry = every, d.timing.FirstRetry
	}
}
